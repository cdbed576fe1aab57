package io.vigil.model.tls;

import io.vigil.model.web.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A folder laid out as the kubelet mounts a Kubernetes TLS Secret: {@code tls.crt} and {@code
 * tls.key} are symlinks through {@code ..data}, and an update writes a new timestamped folder and
 * swaps {@code ..data} in one rename, so readers see the old pair or the new one, never half.
 */
public final class SecretVolume {
  private final Path dir;
  private int version;

  /** An empty volume in {@code dir}; {@link #update} writes its first pair. */
  public SecretVolume(Path dir) {
    this.dir = dir;
  }

  /** The certificate file, as configured. */
  public Path cert() {
    return dir.resolve("tls.crt");
  }

  /** The key file, as configured. */
  public Path key() {
    return dir.resolve("tls.key");
  }

  /** Replaces the pair as the kubelet does (cert-manager renewed the Secret). */
  public SecretVolume update(TestPki.Issued issued) throws IOException {
    Path next = Files.createDirectory(dir.resolve("..v" + ++version));
    TestPki.writeCert(next.resolve("tls.crt"), issued.cert());
    TestPki.writeKey(next.resolve("tls.key"), issued.keys().getPrivate());
    Path link = Files.createSymbolicLink(dir.resolve("..data_tmp"), next.getFileName());
    Files.move(link, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    for (String name : new String[] {"tls.crt", "tls.key"}) {
      if (!Files.exists(dir.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
      }
    }
    return this;
  }
}
