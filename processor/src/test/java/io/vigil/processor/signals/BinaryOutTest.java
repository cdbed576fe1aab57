package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.UTFDataFormatException;
import org.junit.jupiter.api.Test;

/**
 * {@link BinaryOut} and {@link BinaryIn} against the JDK's data streams, which wrote every record
 * in changelogs and repartition topics before them: the same bytes out, the same values back.
 */
class BinaryOutTest {
  private static final String[] STRINGS = {
    "", "svc-1/cluster/ns", "ÄÖü ñ", "\u0000nul", "€ 𝄞 emoji 😀", "x".repeat(300)
  };
  private static final long[] LONGS = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1_700_000_000L};
  private static final double[] DOUBLES = {
    0.0, -0.0, 1.5, Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE, -123.456e300
  };

  @Test
  void writesWhatTheJdkDataStreamWrites() throws Exception {
    var jdkBytes = new ByteArrayOutputStream();
    var jdk = new DataOutputStream(jdkBytes);
    BinaryOut ours = new BinaryOut(4); // tiny, so that it grows
    for (String s : STRINGS) {
      jdk.writeUTF(s);
      ours.writeUTF(s);
    }
    for (long v : LONGS) {
      jdk.writeLong(v);
      ours.writeLong(v);
    }
    for (double v : DOUBLES) {
      jdk.writeDouble(v);
      ours.writeDouble(v);
    }
    jdk.writeBoolean(true);
    ours.writeBoolean(true);
    jdk.writeBoolean(false);
    ours.writeBoolean(false);
    jdk.writeByte(200);
    ours.writeByte(200);
    jdk.write(new byte[] {1, 2, 3});
    ours.write(new byte[] {1, 2, 3});

    assertThat(ours.toByteArray()).isEqualTo(jdkBytes.toByteArray());
  }

  @Test
  void readsBackWhatTheJdkDataStreamWrote() throws Exception {
    var jdkBytes = new ByteArrayOutputStream();
    var jdk = new DataOutputStream(jdkBytes);
    for (String s : STRINGS) {
      jdk.writeUTF(s);
    }
    for (long v : LONGS) {
      jdk.writeLong(v);
    }
    for (double v : DOUBLES) {
      jdk.writeDouble(v);
    }
    jdk.writeBoolean(true);
    jdk.writeByte(-7);
    jdk.write(new byte[] {4, 5});

    BinaryIn in = new BinaryIn(jdkBytes.toByteArray());
    for (String s : STRINGS) {
      assertThat(in.readUTF()).isEqualTo(s);
    }
    for (long v : LONGS) {
      assertThat(in.readLong()).isEqualTo(v);
    }
    for (double v : DOUBLES) {
      assertThat(Double.doubleToRawLongBits(in.readDouble())).isEqualTo(Double.doubleToLongBits(v));
    }
    assertThat(in.readBoolean()).isTrue();
    assertThat(in.readByte()).isEqualTo((byte) -7);
    byte[] two = new byte[2];
    in.readFully(two);
    assertThat(two).containsExactly(4, 5);
    assertThatThrownBy(in::readByte)
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("record ends at byte");
  }

  @Test
  void refusesTruncatedAndOverlongInput() {
    assertThatThrownBy(() -> new BinaryIn(new byte[] {0, 5, 'a', 'b'}).readUTF())
        .as("a string's length past the record's end")
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> new BinaryIn(new byte[] {1, 2, 3}).readLong())
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> new BinaryIn(new byte[] {0, 2, (byte) 0xC3, 'x'}).readUTF())
        .as("malformed modified UTF-8, refused as the JDK refuses it")
        .isInstanceOf(UTFDataFormatException.class);
    assertThatThrownBy(() -> new BinaryOut(16).writeUTF("€".repeat(21_846)))
        .as("65,538 bytes of encoding")
        .isInstanceOf(UTFDataFormatException.class)
        .hasMessageContaining("65538");
  }
}
