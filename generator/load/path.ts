export type PathSegment = string | number;

/** `['aggregates','Order','versions',1]` → `aggregates.Order.versions[1]`: the logical path shown to users. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}
