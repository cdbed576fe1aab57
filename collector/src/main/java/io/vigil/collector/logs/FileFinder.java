package io.vigil.collector.logs;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The files that match the include globs and none of the exclude globs, found by walking each
 * include pattern's fixed leading directories only as deep as the pattern reaches ({@code **} walks
 * all the way). Symbolic links are not followed: {@code /var/log/containers} links into {@code
 * /var/log/pods}, and following them would read each file twice.
 */
final class FileFinder {
  private record Include(Path base, int depth, PathMatcher matcher) {}

  private final List<Include> includes = new ArrayList<>();
  private final List<PathMatcher> excludes = new ArrayList<>();

  FileFinder(List<String> include, List<String> exclude) {
    for (String pattern : include) {
      includes.add(include(pattern));
    }
    for (String pattern : exclude) {
      excludes.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
    }
  }

  private static Include include(String pattern) {
    Path full = Paths.get(pattern);
    Path base = full.getRoot() == null ? Paths.get("") : full.getRoot();
    int fixed = 0;
    for (Path part : full) {
      if (hasGlob(part.toString())) {
        break;
      }
      base = base.resolve(part);
      fixed++;
    }
    int depth = pattern.contains("**") ? Integer.MAX_VALUE : full.getNameCount() - fixed;
    return new Include(base, depth, FileSystems.getDefault().getPathMatcher("glob:" + pattern));
  }

  private static boolean hasGlob(String part) {
    for (char c : part.toCharArray()) {
      if (c == '*' || c == '?' || c == '[' || c == '{') {
        return true;
      }
    }
    return false;
  }

  /** The matching regular files, in path order. */
  Set<Path> find() throws IOException {
    Set<Path> found = new TreeSet<>();
    for (Include include : includes) {
      if (include.depth == 0) {
        if (Files.isRegularFile(include.base) && !excluded(include.base)) {
          found.add(include.base);
        }
        continue;
      }
      if (!Files.isDirectory(include.base)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(include.base, include.depth, new FileVisitOption[0])) {
        walk.filter(p -> include.matcher.matches(p) && !excluded(p))
            .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
            .forEach(found::add);
      } catch (NoSuchFileException | java.io.UncheckedIOException vanished) {
        // a directory went away while walking (a pod deleted): found again next time if needed
      }
    }
    return found;
  }

  private boolean excluded(Path path) {
    for (PathMatcher exclude : excludes) {
      if (exclude.matches(path)) {
        return true;
      }
    }
    return false;
  }
}
