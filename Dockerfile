# Runtime image for the three Vigil services (one jar, the command picks the service).
#
#   ./mvnw -q install -DskipTests        # builds cli/target/vigil.jar (the services, no demo)
#   docker build -t vigil:dev .
#   docker run --rm vigil:dev collector --config /opt/vigil/config/collector.yaml
#
# The jar is built outside the image (by Maven, as for `./vigil`), so the image build needs no
# network and no build tools. The example configuration is copied to /opt/vigil/config; real
# deployments mount their own (docker-compose.yml, k8s/).
FROM eclipse-temurin:17-jre-jammy

ARG VIGIL_UID=10001
ARG VIGIL_GID=10001

# A fixed numeric user, so that Kubernetes can check runAsNonRoot against the image and
# volumes can be given to it with fsGroup. The state folders exist and belong to it, so a
# fresh Docker named volume mounted there is writable too.
RUN groupadd --system --gid "${VIGIL_GID}" vigil \
 && useradd --system --uid "${VIGIL_UID}" --gid vigil --home-dir /var/lib/vigil \
      --no-create-home --shell /usr/sbin/nologin vigil \
 && mkdir -p /opt/vigil /var/lib/vigil/processor /var/lib/vigil/alerting \
 && chown -R vigil:vigil /var/lib/vigil

WORKDIR /opt/vigil
# Owned by root and not writable by the service user: the image's code and examples are read-only.
COPY config/ /opt/vigil/config/
COPY cli/target/vigil.jar /opt/vigil/vigil.jar

USER ${VIGIL_UID}:${VIGIL_GID}

# 4318 collector OTLP/HTTP + OpenLineage, 8888 collector admin,
# 8889 processor admin, 8890 alerting admin + API.
EXPOSE 4318 8888 8889 8890

# Heap from the container's memory limit (75 %: the rest is metaspace, threads, direct buffers
# of the Kafka clients); exit on OutOfMemoryError so the orchestrator restarts a clean JVM
# instead of one limping along. The JVM itself writes only to java.io.tmpdir (/tmp). To add
# flags use JAVA_TOOL_OPTIONS (read before these); to override one of these use _JAVA_OPTIONS
# (read after them, so it wins), e.g. _JAVA_OPTIONS=-XX:MaxRAMPercentage=60.
ENTRYPOINT ["java", \
  "-XX:MaxRAMPercentage=75", \
  "-XX:InitialRAMPercentage=25", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-Djava.io.tmpdir=/tmp", \
  "-jar", "/opt/vigil/vigil.jar"]
CMD ["--help"]
