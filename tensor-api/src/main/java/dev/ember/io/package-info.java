/**
 * Saving and loading tensors: {@link dev.ember.io.Safetensors} (the safetensors format PyTorch and
 * Hugging Face use, validated strictly on load and written atomically), {@link
 * dev.ember.io.Checkpoint} (a training checkpoint of several state dicts and scalars in one
 * safetensors file) and {@link dev.ember.io.Json} (the small strict JSON parser both rely on).
 *
 * <p>Uses only the public {@code dev.ember} API and {@code dev.ember.ops} factories; nothing here
 * deserializes Java objects or runs code found in a file.
 */
package dev.ember.io;
