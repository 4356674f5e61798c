import { closeSync, constants, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0644; keys 0600). */
  mode?: number;
  /** Copy the file being replaced to `<path>.prev` first (itself atomically). */
  keepPrevious?: boolean;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    /* some file systems cannot fsync a directory; the rename is still atomic */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeTemp(dir: string, name: string, data: string | Buffer, mode: number): string {
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // O_EXCL: never write through a file (or symlink) someone placed there.
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  return tmp;
}

/**
 * Replaces `path` atomically: a temp file in the same directory is written and fsynced, then renamed
 * over `path`, then the directory is fsynced. Readers see the old file or the new one, never a
 * part. With `keepPrevious`, the old content is first kept as `<path>.prev` (same method).
 * Returns false, touching nothing, when the file already holds exactly `data`.
 */
export function writeFileAtomic(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): boolean {
  const dir = dirname(path);
  const name = basename(path);
  const mode = opts.mode ?? 0o644;
  if (existsSync(path)) {
    const current = readFileSync(path);
    if (current.equals(typeof data === 'string' ? Buffer.from(data) : data)) return false;
    if (opts.keepPrevious) {
      const prevTmp = join(dir, `.${name}.prev.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      copyFileSync(path, prevTmp, constants.COPYFILE_EXCL);
      renameSync(prevTmp, `${path}.prev`);
    }
  }
  const tmp = writeTemp(dir, name, data, mode);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
  return true;
}
