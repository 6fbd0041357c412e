/**
 * Not API: backend discovery ({@link dev.ember.internal.Backends}), dispatch of shapes, dtypes and
 * devices to the backend ({@link dev.ember.internal.Dispatch}), the Philox generator and tensor
 * printing. Public only because op families and backends in other packages use it.
 */
package dev.ember.internal;
