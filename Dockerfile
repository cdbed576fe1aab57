# syntax=docker/dockerfile:1
#
# The image of the three Vigil services: one jar (cli/target/vigil.jar), the command picks the
# service. Needs BuildKit (Docker's default builder since 23.0).
#
#   docker build -t vigil:dev .                          # builds the jar inside, with Maven
#   ./mvnw -q install -DskipTests \
#     && docker build --build-arg VIGIL_JAR_FROM=prebuilt -t vigil:dev .   # copies the built jar
#   docker run --rm vigil:dev collector --config /opt/vigil/config/collector.yaml
#
# Stages: `build` runs the Maven wrapper on the sources (tests skipped: CI runs them; the local
# repository is a BuildKit cache, so a rebuild downloads nothing), `prebuilt` takes a jar built
# outside, and the runtime stage copies /out/vigil.jar from the stage VIGIL_JAR_FROM names.
# BuildKit builds only the stages the result needs, so `prebuilt` runs no Maven and `build` needs
# no jar in the context. deploy/README.md describes the image; ContainerFilesTest checks it.

# Built with Temurin 17 (the code targets Java 17, the oldest it runs on), run on Temurin 25, both
# on Ubuntu 22.04: on 25 with compact object headers (the ENTRYPOINT's options need 25 or newer)
# the processor's stream thread takes in about a sixth more points per CPU-second than on 17, and
# a third more points per second on two cores (BENCHMARKS.md, "The image on Java 25").
# Major-line tags: a rebuild picks up the JDK's and Ubuntu's security updates. To freeze a
# release, pass the image by digest, e.g.
# --build-arg JRE_IMAGE=eclipse-temurin:25-jre-jammy@sha256:<digest>.
ARG JDK_IMAGE=eclipse-temurin:17-jdk-jammy
ARG JRE_IMAGE=eclipse-temurin:25-jre-jammy
# build | prebuilt
ARG VIGIL_JAR_FROM=build

FROM ${JDK_IMAGE} AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
# Maven reads the pom.xml of every module the root pom lists, also of those it does not build.
COPY local/pom.xml local/
COPY system-tests/pom.xml system-tests/
COPY bench/pom.xml bench/
# cli and what it depends on (embedded only in test scope, but the reactor still builds it).
COPY model/pom.xml model/
COPY model/src/main/ model/src/main/
COPY embedded/pom.xml embedded/
COPY embedded/src/main/ embedded/src/main/
COPY collector/pom.xml collector/
COPY collector/src/main/ collector/src/main/
COPY processor/pom.xml processor/
COPY processor/src/main/ processor/src/main/
COPY alerting/pom.xml alerting/
COPY alerting/src/main/ alerting/src/main/
COPY cli/pom.xml cli/
COPY cli/src/main/ cli/src/main/
RUN --mount=type=cache,target=/root/.m2,id=vigil-m2 \
    sh ./mvnw -B -ntp -q -pl cli -am package -Dmaven.test.skip=true \
 && mkdir -p /out \
 && cp cli/target/vigil.jar /out/vigil.jar

FROM scratch AS prebuilt
COPY cli/target/vigil.jar /out/vigil.jar

# hadolint ignore=DL3006
FROM ${VIGIL_JAR_FROM} AS jar

FROM ${JRE_IMAGE}

ARG VIGIL_UID=10001
ARG VIGIL_GID=10001

# A fixed numeric user, so that Kubernetes can check runAsNonRoot against the image and volumes
# can be given to it with fsGroup. The state folders exist and belong to it, so a fresh Docker
# named volume mounted there is writable too. The health check below uses the base image's curl
# (Temurin's Ubuntu images install it); the build fails here if a new base image dropped it.
RUN groupadd --system --gid "${VIGIL_GID}" vigil \
 && useradd --system --uid "${VIGIL_UID}" --gid vigil --home-dir /var/lib/vigil \
      --no-create-home --shell /usr/sbin/nologin vigil \
 && mkdir -p /opt/vigil /var/lib/vigil/processor /var/lib/vigil/alerting \
 && chown -R vigil:vigil /var/lib/vigil \
 && curl --version >/dev/null

WORKDIR /opt/vigil
# Owned by root and not writable by the service user: the image's code and examples are read-only.
COPY config/ /opt/vigil/config/
COPY --chmod=0755 deploy/docker/vigil-healthcheck /usr/local/bin/vigil-healthcheck
COPY --from=jar /out/vigil.jar /opt/vigil/vigil.jar

USER ${VIGIL_UID}:${VIGIL_GID}

# 4317 collector OTLP/gRPC, 4318 collector OTLP/HTTP + OpenLineage, 8888 collector admin,
# 8889 processor admin, 8890 alerting admin + API.
EXPOSE 4317 4318 8888 8889 8890

# Liveness: /healthz of the service's admin endpoint. One container runs one service, so the
# script asks the three default admin ports and the one that answers decides (VIGIL_ADMIN_PORTS
# names others). docker-compose.yml runs the same script on /readyz; Kubernetes probes instead.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/vigil-healthcheck"]

# Heap from the container's memory limit (75 %: the rest is metaspace, threads, direct buffers
# of the Kafka clients); exit on OutOfMemoryError so the orchestrator restarts a clean JVM
# instead of one limping along. The JVM itself writes only to java.io.tmpdir (/tmp). To add
# flags use JAVA_TOOL_OPTIONS (read before these); to override one of these use _JAVA_OPTIONS
# (read after them, so it wins), e.g. _JAVA_OPTIONS=-XX:MaxRAMPercentage=60. Compact object
# headers (JEP 519, Java 25): 8-byte object headers instead of 12, for state made of many small
# objects (the processor's series, windows and slots). protobuf and Armeria still use
# sun.misc.Unsafe's memory access and Netty loads its native transport, which Java 24 and newer
# allow with a warning on stderr at the first call; the two options allow them without one, as
# Java 17 did (ContainerFilesTest runs them on Java 25 where one is installed).
ENTRYPOINT ["java", \
  "-XX:+UseCompactObjectHeaders", \
  "--sun-misc-unsafe-memory-access=allow", \
  "--enable-native-access=ALL-UNNAMED", \
  "-XX:MaxRAMPercentage=75", \
  "-XX:InitialRAMPercentage=25", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-Djava.io.tmpdir=/tmp", \
  "-jar", "/opt/vigil/vigil.jar"]
CMD ["--help"]
