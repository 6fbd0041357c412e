package dev.ember.spi;

/**
 * The geometry of a 2-d pooling window handed to a backend's fused pooling primitives ({@link
 * Backend#maxPool2d}, {@link Backend#avgPool2d}): operands are NCHW and contiguous; padding counts as
 * -inf for max pooling and is never part of an average's divisor beyond what {@code countIncludePad}
 * says. The output is [N, C, oh, ow] with {@code oh = (H + top + bottom - kh) / sh + 1}; bottom and
 * right may exceed top and left (ceil mode).
 *
 * @param kernelH window height
 * @param kernelW window width
 * @param strideH vertical stride
 * @param strideW horizontal stride
 * @param padTop rows of padding above the input
 * @param padBottom rows of padding below the input
 * @param padLeft columns of padding left of the input
 * @param padRight columns of padding right of the input
 */
public record PoolParams(int kernelH, int kernelW, int strideH, int strideW, int padTop, int padBottom,
    int padLeft, int padRight) {}
