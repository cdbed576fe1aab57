package io.vigil.cli;

/**
 * Does what makes Java 24 and newer warn about the services' libraries, as the services do:
 * protobuf writes a message (through {@code sun.misc.Unsafe}'s memory access) and Netty loads its
 * epoll transport (a native library). {@link ContainerFilesTest} runs it on Java 25 with and
 * without the image's JVM options.
 */
final class LibraryWarnings {
  private LibraryWarnings() {}

  /** Entry point: prints whether Netty's epoll transport loaded. */
  public static void main(String[] args) {
    com.google.protobuf.Value.newBuilder().setStringValue("vigil").build().toByteArray();
    System.out.println("epoll " + io.netty.channel.epoll.Epoll.isAvailable());
  }
}
