package io.vigil.embedded.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives the annotated test class an Elasticsearch (one per JVM, or {@code ELASTICSEARCH_URL};
 * {@link io.vigil.embedded.elasticsearch.EmbeddedElasticsearch}). Declare a constructor,
 * {@code @BeforeAll}, {@code @BeforeEach} or test method parameter of that type to receive it.
 * Combines with the other {@code @With*} annotations.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(ElasticsearchExtension.class)
public @interface WithElasticsearch {}
