package io.vigil.collector.scrape;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of a job's {@code kubernetes_sd_configs}, as Prometheus spells it: which Kubernetes objects'
 * targets it scrapes. The objects come from informers the collector starts for the roles its jobs
 * use (with {@code kubernetes.node_name}: the pods, endpoints and node of this node only). The
 * connection is the collector's ({@code kubernetes.*}); Prometheus' {@code api_server}, {@code
 * kubeconfig_file} and HTTP client settings are refused as unknown keys.
 *
 * @param role {@code pod}, {@code endpointslice}, {@code endpoints}, {@code service}, {@code node}
 *     or {@code ingress}, with Prometheus' targets and {@code __meta_kubernetes_*} labels
 * @param namespaces the namespaces watched; default all
 * @param selectors label and field selectors passed to the API server, so that only matching
 *     objects are listed, watched and kept; at most one per role, and only roles this one reads (as
 *     Prometheus: {@code endpoints} and {@code endpointslice} also {@code pod} and {@code
 *     service}); default none
 * @param attachMetadata {@code {node: true}}: the {@code __meta_kubernetes_node_*} labels of the
 *     target's node on {@code pod}, {@code endpoints} and {@code endpointslice} targets (a nodes
 *     informer); default off
 */
public record KubernetesSdConfig(
    @JsonProperty("role") String role,
    @JsonProperty("namespaces") Namespaces namespaces,
    @JsonProperty("selectors") List<Selector> selectors,
    @JsonProperty("attach_metadata") AttachMetadata attachMetadata) {
  /** The roles the collector can discover. */
  public static final List<String> ROLES =
      List.of("pod", "endpointslice", "endpoints", "service", "node", "ingress");

  /** The roles whose selectors each role takes (Prometheus' {@code allowedSelectors}). */
  private static final Map<String, List<String>> ALLOWED_SELECTORS =
      Map.of(
          "pod", List.of("pod"),
          "service", List.of("service"),
          "endpointslice", List.of("pod", "service", "endpointslice"),
          "endpoints", List.of("pod", "service", "endpoints"),
          "node", List.of("node"),
          "ingress", List.of("ingress"));

  /** One role, all namespaces, no selectors, no metadata attached. */
  public KubernetesSdConfig(String role) {
    this(role, null, null, null);
  }

  /** Applies defaults. */
  public KubernetesSdConfig {
    namespaces = namespaces == null ? new Namespaces(null, null) : namespaces;
    selectors = selectors == null ? List.of() : List.copyOf(selectors);
    attachMetadata = attachMetadata == null ? new AttachMetadata(null) : attachMetadata;
  }

  void check(String at) {
    if (!ROLES.contains(role)) {
      throw new ConfigException(at + "role", role, "must be one of " + ROLES);
    }
    for (String name : namespaces.names()) {
      if (name == null || name.isBlank()) {
        throw new ConfigException(at + "namespaces.names", name, "must not be blank");
      }
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < selectors.size(); i++) {
      Selector selector = selectors.get(i);
      String selectorAt = at + "selectors[" + i + "].";
      if (selector == null || !ROLES.contains(selector.role())) {
        throw new ConfigException(
            selectorAt + "role",
            selector == null ? null : selector.role(),
            "must be one of " + ROLES);
      }
      if (!ALLOWED_SELECTORS.get(role).contains(selector.role())) {
        throw new ConfigException(
            selectorAt + "role",
            selector.role(),
            role
                + " role supports only "
                + String.join(", ", ALLOWED_SELECTORS.get(role))
                + " selectors");
      }
      if (!seen.add(selector.role())) {
        throw new ConfigException(selectorAt + "role", selector.role(), "duplicated selector role");
      }
      try {
        Selector.fields(selector.field());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(selectorAt + "field", selector.field(), e.getMessage());
      }
    }
  }

  /** The selector of objects of {@code kind} (a role name), or one that selects all. */
  public Selector selector(String kind) {
    return selectors.stream()
        .filter(s -> s.role().equals(kind))
        .findFirst()
        .orElse(new Selector(kind, null, null));
  }

  /**
   * Prometheus' {@code namespaces} of a {@code kubernetes_sd_config}.
   *
   * @param names the namespaces watched; default none, which with {@code own_namespace} false means
   *     all
   * @param ownNamespace also the collector's own namespace (its service account's); default false
   */
  public record Namespaces(
      @JsonProperty("names") List<String> names,
      @JsonProperty("own_namespace") Boolean ownNamespace) {
    /** Applies defaults. */
    public Namespaces {
      names = names == null ? List.of() : List.copyOf(names);
      ownNamespace = ownNamespace != null && ownNamespace;
    }

    /** Whether every namespace is watched. */
    public boolean all() {
      return names.isEmpty() && !ownNamespace;
    }
  }

  /**
   * A label and field selector of one role's objects, in the API server's syntax ({@code
   * app=web,tier!=cache}; {@code metadata.name=x,status.phase!=Failed}).
   *
   * @param role the objects it applies to
   * @param label a label selector; null: none
   * @param field a field selector: {@code key=value}, {@code key==value} or {@code key!=value},
   *     comma separated; null: none
   */
  public record Selector(
      @JsonProperty("role") String role,
      @JsonProperty("label") String label,
      @JsonProperty("field") String field) {
    private static final Pattern FIELD_TERM =
        Pattern.compile("\\s*([^=!\\s]+)\\s*(==|=|!=)\\s*([^=!,]*?)\\s*");

    /** Blank is none. */
    public Selector {
      label = label == null || label.isBlank() ? null : label.trim();
      field = field == null || field.isBlank() ? null : field.trim();
    }

    /**
     * The field selector's terms: key to value, a value starting with {@code !} for {@code !=}.
     * Throws {@link IllegalArgumentException} for one that is not {@code key(=|==|!=)value}.
     */
    public static Map<String, String> fields(String field) {
      Map<String, String> terms = new LinkedHashMap<>();
      if (field == null || field.isBlank()) {
        return terms;
      }
      for (String term : field.split(",")) {
        Matcher m = FIELD_TERM.matcher(term);
        if (!m.matches()) {
          throw new IllegalArgumentException(
              "not a field selector (key=value, key!=value): " + term);
        }
        terms.put(m.group(1), (m.group(2).equals("!=") ? "!" : "") + m.group(3));
      }
      return terms;
    }
  }

  /**
   * Prometheus' {@code attach_metadata} of a {@code kubernetes_sd_config}.
   *
   * @param node the labels of the target's node; default false
   */
  public record AttachMetadata(@JsonProperty("node") Boolean node) {
    /** Applies the default. */
    public AttachMetadata {
      node = node != null && node;
    }
  }
}
