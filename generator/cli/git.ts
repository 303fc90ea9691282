// Reading a commit of the repository the user runs in, for `check --against <ref>`. Git runs
// through execFile with an argument list, never a shell string, and a revision is refused if
// it could be read as an option.
import { execFile } from 'node:child_process';

export class GitError extends Error {
  override readonly name = 'GitError';
}

function run(args: readonly string[], cwd: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        const detail = stderr.toString('utf8').trim() || error.message;
        reject(new GitError(detail));
      } else resolve(stdout);
    });
  });
}

/** A commit of the repository around `cwd`, with the files of its tree. */
export interface GitTree {
  /** Full commit id the reference resolved to (so every read sees the same tree). */
  readonly commit: string;
  /** The repository root, absolute. */
  readonly root: string;
  /** Path of `cwd` inside the repository, '' at the root, else with a trailing '/'. */
  readonly prefix: string;
  /** Every file of the commit's tree, relative to the repository root, forward slashes. */
  readonly files: readonly string[];
  /** The bytes of a file of the tree (repository-relative path). */
  read(repoPath: string): Promise<Buffer>;
}

export async function openGitTree(ref: string, cwd: string): Promise<GitTree> {
  if (ref === '' || ref.startsWith('-') || /[\0\n]/.test(ref)) throw new GitError(`not a valid git revision: ${JSON.stringify(ref)}`);
  const root = (await run(['rev-parse', '--show-toplevel'], cwd)).toString('utf8').trim();
  const prefix = (await run(['rev-parse', '--show-prefix'], cwd)).toString('utf8').trim();
  let commit: string;
  try {
    commit = (await run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd)).toString('utf8').trim();
  } catch {
    throw new GitError(`unknown revision ${JSON.stringify(ref)}`);
  }
  const listing = (await run(['ls-tree', '-r', '-z', '--full-tree', '--name-only', commit], cwd)).toString('utf8');
  const files = listing.split('\0').filter((f) => f !== '');
  // `cat-file blob` gives the stored bytes: no textconv or other filters, unlike `git show`.
  const read = (repoPath: string): Promise<Buffer> => run(['cat-file', 'blob', `${commit}:${repoPath}`], root);
  return { commit, root, prefix, files, read };
}
