package io.vigil.embedded.smtp;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local SMTP server (GreenMail) that accepts every message, without authentication (any
 * credentials are accepted too), and keeps it for inspection. Binds to {@code 127.0.0.1} only.
 *
 * <p>GreenMail stores one copy per recipient; this sink folds the copies of one message (same
 * {@code Message-ID}) back into one {@link ReceivedMail}.
 */
public final class SmtpSink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SmtpSink.class);
  private static final String HOST = "127.0.0.1";
  private static final long WAIT_SLICE_MS = 500;

  private final GreenMail greenMail;
  private final List<Consumer<ReceivedMail>> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Instant> firstSeen = new LinkedHashMap<>();
  private Thread watcher;
  private volatile boolean closed;

  private SmtpSink(GreenMail greenMail) {
    this.greenMail = greenMail;
  }

  /**
   * Starts an SMTP server on {@code 127.0.0.1:port}.
   *
   * @param port the port, or 0 for a free port chosen here
   */
  public static SmtpSink start(int port) {
    int actualPort = port == 0 ? freePort() : port;
    GreenMail greenMail =
        new GreenMail(new ServerSetup(actualPort, HOST, ServerSetup.PROTOCOL_SMTP))
            .withConfiguration(GreenMailConfiguration.aConfig().withDisabledAuthentication());
    try {
      greenMail.start();
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot start the SMTP sink on " + HOST + ":" + port, e);
    }
    SmtpSink sink = new SmtpSink(greenMail);
    LOG.info("SMTP sink ready at {}:{}", sink.host(), sink.port());
    return sink;
  }

  /** Starts an SMTP server on a free port. */
  public static SmtpSink start() {
    return start(0);
  }

  /** {@code 127.0.0.1}. */
  public String host() {
    return HOST;
  }

  /** The SMTP port. */
  public int port() {
    return greenMail.getSmtp().getPort();
  }

  /** {@code host:port}, the Alertmanager {@code smarthost} form. */
  public String smarthost() {
    return host() + ":" + port();
  }

  /** Every message received so far, oldest first, one entry per message (not per recipient). */
  public List<ReceivedMail> messages() {
    MimeMessage[] copies = greenMail.getReceivedMessages();
    Map<String, MimeMessage> byId = new LinkedHashMap<>();
    for (int i = 0; i < copies.length; i++) {
      byId.putIfAbsent(messageId(copies[i], i), copies[i]);
    }
    List<ReceivedMail> result = new ArrayList<>(byId.size());
    synchronized (firstSeen) {
      for (Map.Entry<String, MimeMessage> entry : byId.entrySet()) {
        Instant at = firstSeen.computeIfAbsent(entry.getKey(), k -> Instant.now());
        result.add(toReceivedMail(entry.getValue(), at));
      }
    }
    return result;
  }

  /**
   * Waits until at least {@code n} messages have arrived and returns all received so far.
   *
   * @throws IllegalStateException on timeout, listing what was received
   */
  public List<ReceivedMail> awaitMessages(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<ReceivedMail> received = messages();
      if (received.size() >= n) {
        return received;
      }
      long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
      if (remainingMs <= 0) {
        throw new IllegalStateException(
            "expected "
                + n
                + " mail(s) within "
                + timeout
                + " but received "
                + received.size()
                + ": "
                + received);
      }
      // Blocks until one more stored copy arrives (or the slice ends); copies for several
      // recipients of one message count once in messages(), so loop rather than trust the count.
      int copies = greenMail.getReceivedMessages().length;
      greenMail.waitForIncomingEmail(Math.min(remainingMs, WAIT_SLICE_MS), copies + 1);
    }
  }

  /**
   * Calls {@code listener} once for every message as it arrives, on a daemon thread of this sink.
   */
  public synchronized void onMessage(Consumer<ReceivedMail> listener) {
    listeners.add(listener);
    if (watcher == null) {
      watcher = new Thread(this::watch, "smtp-sink-watcher");
      watcher.setDaemon(true);
      watcher.start();
    }
  }

  /** Deletes every received message. */
  public void clear() {
    try {
      greenMail.purgeEmailFromAllMailboxes();
    } catch (FolderException e) {
      throw new IllegalStateException("cannot purge the SMTP sink", e);
    }
    synchronized (firstSeen) {
      firstSeen.clear();
    }
  }

  /** Stops the server. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (watcher != null) {
      watcher.interrupt();
    }
    greenMail.stop();
  }

  @Override
  public String toString() {
    return "SmtpSink[" + smarthost() + "]";
  }

  private void watch() {
    int delivered = 0;
    while (!closed) {
      List<ReceivedMail> received = messages();
      if (received.size() < delivered) {
        delivered = received.size(); // cleared
      }
      for (ReceivedMail mail : received.subList(delivered, received.size())) {
        for (Consumer<ReceivedMail> listener : listeners) {
          try {
            listener.accept(mail);
          } catch (RuntimeException e) {
            LOG.warn("SMTP sink listener failed", e);
          }
        }
      }
      delivered = received.size();
      greenMail.waitForIncomingEmail(WAIT_SLICE_MS, greenMail.getReceivedMessages().length + 1);
    }
  }

  private static String messageId(MimeMessage message, int index) {
    try {
      String id = message.getMessageID();
      return id != null ? id : "#" + index;
    } catch (MessagingException e) {
      return "#" + index;
    }
  }

  private static ReceivedMail toReceivedMail(MimeMessage message, Instant receivedAt) {
    try {
      List<String> to = new ArrayList<>();
      Address[] recipients = message.getAllRecipients();
      if (recipients != null) {
        for (Address address : recipients) {
          to.add(address.toString());
        }
      }
      Address[] from = message.getFrom();
      String fromText = from == null ? null : String.join(", ", asStrings(from));
      // GreenMail records the delivery time as the message's received date.
      Instant at =
          message.getReceivedDate() != null ? message.getReceivedDate().toInstant() : receivedAt;
      String html = find(message, "text/html");
      return new ReceivedMail(
          message.getSubject(), fromText, to, text(message), html == null ? "" : html, at);
    } catch (MessagingException | IOException e) {
      throw new IllegalStateException("cannot read a received mail", e);
    }
  }

  private static List<String> asStrings(Address[] addresses) {
    List<String> result = new ArrayList<>(addresses.length);
    for (Address address : addresses) {
      result.add(address.toString());
    }
    return result;
  }

  private static String text(Part part) throws MessagingException, IOException {
    String plain = find(part, "text/plain");
    if (plain != null) {
      return plain;
    }
    String html = find(part, "text/html");
    return html != null ? html : "";
  }

  private static String find(Part part, String mimeType) throws MessagingException, IOException {
    if (part.isMimeType(mimeType)) {
      return part.getContent().toString();
    }
    if (part.isMimeType("multipart/*")) {
      Multipart multipart = (Multipart) part.getContent();
      for (int i = 0; i < multipart.getCount(); i++) {
        BodyPart child = multipart.getBodyPart(i);
        String found = find(child, mimeType);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("cannot find a free port on " + HOST, e);
    }
  }
}
