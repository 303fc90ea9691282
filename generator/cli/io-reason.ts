// Why a file could not be read, in the words a user acts on; the Node error code decides.
export function ioReason(e: unknown): string {
  const code = e instanceof Error && 'code' in e ? String(e.code) : undefined;
  switch (code) {
    case 'ENOENT':
      return 'not found';
    case 'ENOTDIR':
      return 'not found (a folder on its path is a file)';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
