/**
 * The Backend SPI: the small set of storage-level primitives a device implements. Depends only on
 * the value types {@link dev.ember.DType} and {@link dev.ember.Device}.
 */
package dev.ember.spi;
