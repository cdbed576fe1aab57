package io.vigil.alerting.notify;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * A TLS ClientHello built and thrown away: what the first connection to a TLS server would do
 * before its first byte (the trust store read, the handshake's classes loaded and its key shares
 * generated), done at start instead. Nothing is sent.
 */
public final class ClientHello {
  private ClientHello() {}

  /** Builds, with {@code context}, the ClientHello a connection to {@code host:port} would send. */
  public static void build(SSLContext context, String host, int port) throws SSLException {
    SSLEngine engine = context.createSSLEngine(host, port);
    engine.setUseClientMode(true);
    engine.beginHandshake();
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    engine.closeOutbound();
  }
}
