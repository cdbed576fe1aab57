package io.vigil.embedded.junit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Shared shape of the server extensions: the server lives in an {@link ExtensionContext.Store},
 * which closes it when its context ends (values that are {@link AutoCloseable} are closed by JUnit
 * 5.13+), and is handed to any parameter of its type.
 *
 * <p>Lookups go through the store hierarchy, so a {@code @Nested} class reuses its enclosing
 * class's server.
 */
abstract class ServerExtension<T extends AutoCloseable>
    implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ServerExtension.class);

  private final Class<T> type;

  ServerExtension(Class<T> type) {
    this.type = type;
  }

  /** Starts a new server. */
  abstract T start(ExtensionContext owner);

  /** The context that owns the server: the test class by default. */
  ExtensionContext owner(ExtensionContext context) {
    ExtensionContext current = context;
    while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
      current = current.getParent().get();
    }
    return current;
  }

  /** The server for {@code context}, started on first use. */
  final T server(ExtensionContext context) {
    ExtensionContext owner = owner(context);
    return owner.getStore(NAMESPACE).getOrComputeIfAbsent(type, key -> start(owner), type);
  }

  /** The server if one was started for {@code context} or an enclosing context. */
  final T existing(ExtensionContext context) {
    return context.getStore(NAMESPACE).get(type, type);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server(context); // start eagerly, so a failure is reported once, before any test
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == type;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return server(context);
  }
}
