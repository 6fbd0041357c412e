package dev.ember.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Atomic replace of a file: the bytes go to a hidden temporary file {@code .<name>.<digits>.tmp} in
 * the target's directory, are forced to disk, and the temporary file is renamed over the target.
 *
 * <ul>
 *   <li>The new file keeps the permissions of the file it replaces; a new file gets what {@link
 *       Files#newOutputStream} would create (0666 less the umask on POSIX systems).
 *   <li>The writer holds an exclusive lock on its temporary file. A save first deletes stale
 *       temporary files of the same target left by a killed writer: those matching the target's
 *       exact temporary-name pattern that no live process has locked and that were last modified
 *       more than {@link #STALE_AFTER_MILLIS} ms ago. Other files, and the temporary files of a
 *       concurrent writer of the same target, are never touched.
 *   <li>Errors name the user's path: a missing directory or a target that is a directory is
 *       reported as such before any temporary file is made.
 * </ul>
 */
final class AtomicFiles {
  /** How old (by modification time) an unlocked temporary file must be to count as stale. */
  static final long STALE_AFTER_MILLIS = 5_000;

  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicFiles() {}

  /** Writes the file's bytes through a channel. */
  interface Writer {
    void write(FileChannel ch) throws IOException;
  }

  /**
   * Replaces {@code file} atomically with the bytes {@code writer} writes.
   *
   * @throws NoSuchFileException naming {@code file} if its directory does not exist
   * @throws FileSystemException naming {@code file} if it is a directory
   * @throws IOException if writing fails; the previous file, if any, is left whole
   */
  static void write(Path file, Writer writer) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new NoSuchFileException(file.toString(), null, "cannot save: directory " + dir
          + (dir != null && Files.exists(dir) ? " is not a directory" : " does not exist"));
    }
    if (Files.isDirectory(target)) {
      throw new FileSystemException(file.toString(), null, "cannot save: it is a directory");
    }
    removeStaleTemps(target);
    Set<PosixFilePermission> keep = existingPermissions(target);
    Path tmp = null;
    FileChannel ch = null;
    boolean moved = false;
    try {
      while (ch == null) {
        tmp = dir.resolve(tempName(target));
        try {
          ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
          // another writer drew the same number: draw again
        }
      }
      try (FileChannel open = ch) {
        lockQuietly(open); // released when the channel closes
        if (keep != null) {
          Files.setPosixFilePermissions(tmp, keep);
        }
        writer.write(open);
        open.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        // File systems without atomic rename: the best we can do is a plain replace.
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
      syncDirectory(dir);
    } finally {
      if (!moved && tmp != null && ch != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /**
   * Takes an exclusive lock on a new temporary file, which tells {@link #removeStaleTemps} of
   * other writers that it is live. A file system without locks (some network mounts) only loses
   * that signal; the age rule still protects a live writer's file.
   */
  private static void lockQuietly(FileChannel ch) {
    try {
      ch.lock();
    } catch (IOException | UnsupportedOperationException e) {
      // no locks here: rely on the age rule
    }
  }

  /** Returns a fresh temporary name for {@code target}: {@code .<name>.<digits>.tmp}. */
  static String tempName(Path target) {
    return "." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong()) + ".tmp";
  }

  /** Returns the pattern that matches exactly the temporary names of {@code target}. */
  static Pattern tempPattern(Path target) {
    return Pattern.compile("\\." + Pattern.quote(target.getFileName().toString()) + "\\.[0-9]+\\.tmp");
  }

  /**
   * Deletes the temporary files of {@code target} (absolute) that a killed writer left: matching
   * {@link #tempPattern}, regular files, not locked by a live process, and older than {@link
   * #STALE_AFTER_MILLIS}. Best effort: a file that cannot be checked is left alone.
   */
  static void removeStaleTemps(Path target) {
    Pattern pattern = tempPattern(target);
    long cutoff = System.currentTimeMillis() - STALE_AFTER_MILLIS;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(target.getParent(),
        p -> pattern.matcher(p.getFileName().toString()).matches())) {
      for (Path p : entries) {
        try {
          if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
              && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
            deleteIfUnlocked(p);
          }
        } catch (IOException e) {
          // gone already, or not ours to check: leave it
        }
      }
    } catch (IOException e) {
      // an unreadable directory only means nothing is cleaned
    }
  }

  private static void deleteIfUnlocked(Path p) throws IOException {
    try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = c.tryLock();
      } catch (OverlappingFileLockException e) {
        return; // a writer in this JVM holds it
      }
      if (lock == null) {
        return; // a writer in another process holds it
      }
      try {
        Files.deleteIfExists(p);
      } finally {
        lock.release();
      }
    }
  }

  /** Returns the POSIX permissions of an existing {@code target}, or null to keep the defaults. */
  private static Set<PosixFilePermission> existingPermissions(Path target) {
    try {
      return Files.exists(target) ? Files.getPosixFilePermissions(target) : null;
    } catch (UnsupportedOperationException | IOException e) {
      return null;
    }
  }

  private static void syncDirectory(Path dir) {
    // Makes the rename itself durable on Linux; other systems cannot open a directory, which is fine.
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort
    }
  }
}
