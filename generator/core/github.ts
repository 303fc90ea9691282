// GitHub Actions workflow commands (`::error file=…,line=…::message`): escaping per the
// runner's rules, so a message with a newline or a file name with a comma survives intact.

/** Escapes the message part of a workflow command. */
export function githubData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value (file, title…), which also may not contain ':' or ','. */
export function githubProperty(s: string): string {
  return githubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
