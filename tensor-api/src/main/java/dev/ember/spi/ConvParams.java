package dev.ember.spi;

/**
 * The geometry of a 2-d convolution handed to a backend's fused convolution primitives ({@link
 * Backend#conv2d}): every operand is NCHW (weights OIHW), contiguous, and the output size follows
 * from these values as {@code oh = (H + top + bottom - dh (kh - 1) - 1) / sh + 1}.
 *
 * @param strideH vertical stride (at least 1)
 * @param strideW horizontal stride (at least 1)
 * @param padTop zero rows above the input
 * @param padBottom zero rows below the input
 * @param padLeft zero columns left of the input
 * @param padRight zero columns right of the input
 * @param dilationH vertical dilation (1 = dense)
 * @param dilationW horizontal dilation (1 = dense)
 * @param groups input and output channels split into this many independent groups
 */
public record ConvParams(int strideH, int strideW, int padTop, int padBottom, int padLeft, int padRight,
    int dilationH, int dilationW, int groups) {}
