package io.vigil.collector.ingress;

import com.linecorp.armeria.server.HttpService;
import java.time.Duration;
import java.util.Map;

/**
 * One socket of the {@link Ingress} and the routes a receiver serves on it.
 *
 * @param name the receiver's name in logs, errors and {@link Ingress#port(String)}, e.g. {@code
 *     otlp_grpc}
 * @param host bind address
 * @param port bind port, 0 for a free one
 * @param requestTimeout how long one request may take from its headers to its answer, including
 *     reading the body: a sender trickling its body is cut off after this
 * @param routes exact paths and their services
 * @param fallback serves every other path (a 404 in the receiver's format)
 * @param tls TLS for this socket, or null for plain text
 * @param tlsKey where {@code tls} is configured, in errors (e.g. {@code collector.otlp.http.tls.})
 */
public record Listener(
    String name,
    String host,
    int port,
    Duration requestTimeout,
    Map<String, HttpService> routes,
    HttpService fallback,
    TlsSettings tls,
    String tlsKey) {}
