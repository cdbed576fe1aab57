package io.vigil.model.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QueryStringTest {
  @Test
  void decodesEveryParameterInOrderRepeatedOnesRepeated() {
    assertThat(QueryString.params("filter=service%3D%22checkout%22&filter=a%3Db&active&x=1+2&&"))
        .containsExactly(
            new QueryString.Param("filter", "service=\"checkout\""),
            new QueryString.Param("filter", "a=b"),
            new QueryString.Param("active", ""),
            new QueryString.Param("x", "1 2"));
    assertThat(QueryString.params(null)).isEmpty();
    assertThat(QueryString.params("")).isEmpty();
  }

  @Test
  void keepsTheLastOfARepeatedNameByName() {
    assertThat(QueryString.lastByName("service=a&scope=local&service=b"))
        .containsEntry("service", "b")
        .containsEntry("scope", "local")
        .hasSize(2);
  }

  @Test
  void refusesAMalformedEscape() {
    assertThatThrownBy(() -> QueryString.params("service=%zz"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
