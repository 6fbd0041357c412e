package dev.ember.data;

import dev.ember.DType;
import dev.ember.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads numeric CSV files into a {@link TensorDataset}: {@code {features, labels}} with a label
 * column, else {@code {features}}.
 *
 * <pre>{@code
 * TensorDataset iris = Csv.read(Path.of("iris.csv"),
 *     Csv.options().header(true).labelColumn("species"));
 * Tensor x = iris.tensor(0);   // [150, 4] float32
 * Tensor y = iris.tensor(1);   // [150] int64
 * }</pre>
 *
 * <p>Every row must have the same number of fields; fields are trimmed and may be wrapped in
 * double quotes; blank lines are skipped. Values are decimal numbers ({@code 1}, {@code -2.5},
 * {@code 1e-3}) or {@code nan}/{@code inf}/{@code -inf} in any case. Anything else (an empty
 * field, {@code 0x10}, {@code 1d}) is an error naming the file, line and column. Labels must be
 * integers when read as int64 (the default), as class indices are.
 *
 * @since 0.1
 */
public final class Csv {
  private static final String READER = "csv";
  private static final Pattern NUMBER =
      Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

  private Csv() {}

  /**
   * Options for {@link Csv#read}: immutable; each setter returns a changed copy. Defaults: no
   * header, comma delimiter, no label column, float32 features, int64 labels.
   */
  public static final class Options {
    private final boolean header;
    private final char delimiter;
    private final String labelName;
    private final Integer labelIndex;
    private final DType featureDType;
    private final DType labelDType;

    private Options(boolean header, char delimiter, String labelName, Integer labelIndex,
        DType featureDType, DType labelDType) {
      this.header = header;
      this.delimiter = delimiter;
      this.labelName = labelName;
      this.labelIndex = labelIndex;
      this.featureDType = featureDType;
      this.labelDType = labelDType;
    }

    /** Returns these options with or without a header row (column names) to skip. */
    public Options header(boolean on) {
      return new Options(on, delimiter, labelName, labelIndex, featureDType, labelDType);
    }

    /** Returns these options with another field delimiter, e.g. {@code ';'} or {@code '\t'}. */
    public Options delimiter(char c) {
      if (c == '"' || c == '\n' || c == '\r') {
        throw new IllegalArgumentException("csv: invalid delimiter " + (int) c);
      }
      return new Options(header, c, labelName, labelIndex, featureDType, labelDType);
    }

    /** Returns these options with the label in the column of this header name (needs a header). */
    public Options labelColumn(String name) {
      return new Options(header, delimiter, name, null, featureDType, labelDType);
    }

    /** Returns these options with the label in column {@code index}; negative counts from the end. */
    public Options labelColumn(int index) {
      return new Options(header, delimiter, null, index, featureDType, labelDType);
    }

    /** Returns these options with features read as {@code dtype} (float32, float64, float16, bfloat16). */
    public Options featureDType(DType dtype) {
      if (!dtype.isFloatingPoint()) {
        throw new IllegalArgumentException("csv: feature dtype must be floating, got " + dtype);
      }
      return new Options(header, delimiter, labelName, labelIndex, dtype, labelDType);
    }

    /**
     * Returns these options with labels read as {@code dtype}: int64 (class indices, must be
     * integers), or floating (regression targets).
     */
    public Options labelDType(DType dtype) {
      if (dtype != DType.INT64 && !dtype.isFloatingPoint()) {
        throw new IllegalArgumentException("csv: label dtype must be int64 or floating, got " + dtype);
      }
      return new Options(header, delimiter, labelName, labelIndex, featureDType, dtype);
    }

    boolean hasLabel() {
      return labelName != null || labelIndex != null;
    }
  }

  /** Returns the default options (no header, comma, no label, float32 features, int64 labels). */
  public static Options options() {
    return new Options(false, ',', null, null, DType.FLOAT32, DType.INT64);
  }

  /**
   * Reads a numeric CSV file.
   *
   * @throws DataFileException naming the file, line and column of a malformed value, a ragged row,
   *     a missing label column, or an empty file
   * @throws IOException if the file cannot be read
   */
  public static TensorDataset read(Path path, Options options) throws IOException {
    if (Files.isDirectory(path)) {
      throw new DataFileException(READER, path, "is a directory, not a CSV file");
    }
    List<String> lines;
    try (BufferedReader r = new BufferedReader(new java.io.InputStreamReader(
        Files.newInputStream(path), StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)))) {
      lines = r.lines().toList();
    } catch (java.io.UncheckedIOException e) {
      if (e.getCause() instanceof CharacterCodingException) {
        throw new DataFileException(READER, path, "not valid UTF-8 text", e.getCause());
      }
      throw e.getCause();
    }
    int lineNo = 0;
    String[] names = null;
    int columns = -1;
    List<double[]> rows = new ArrayList<>();
    List<Integer> rowLines = new ArrayList<>();
    for (String line : lines) {
      lineNo++;
      if (lineNo == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (line.isBlank()) {
        continue;
      }
      String[] fields = split(line, options.delimiter);
      if (columns < 0) {
        columns = fields.length;
      } else if (fields.length != columns) {
        throw new DataFileException(READER, path, "line " + lineNo + " has " + fields.length
            + " fields, expected " + columns);
      }
      if (options.header && names == null) {
        names = fields;
        continue;
      }
      double[] values = new double[columns];
      for (int c = 0; c < columns; c++) {
        values[c] = parse(path, fields[c], lineNo, c);
      }
      rows.add(values);
      rowLines.add(lineNo);
    }
    if (columns < 0) {
      throw new DataFileException(READER, path, "no data (the file is empty)");
    }
    int label = -1;
    if (options.labelName != null) {
      if (names == null) {
        throw new DataFileException(READER, path, "label column '" + options.labelName
            + "' given by name but the file has no header (set header(true))");
      }
      label = Arrays.asList(names).indexOf(options.labelName);
      if (label < 0) {
        throw new DataFileException(READER, path, "no column named '" + options.labelName
            + "' in header " + Arrays.toString(names));
      }
    } else if (options.labelIndex != null) {
      int i = options.labelIndex;
      label = i < 0 ? i + columns : i;
      if (label < 0 || label >= columns) {
        throw new DataFileException(READER, path, "label column " + i + " out of range for "
            + columns + " columns");
      }
    }
    int n = rows.size();
    int features = label >= 0 ? columns - 1 : columns;
    if ((long) n * features > Integer.MAX_VALUE - 8) {
      throw new DataFileException(READER, path, n + " rows of " + features + " features are more "
          + "values than one tensor holds");
    }
    double[] x = new double[n * features];
    double[] y = new double[n];
    for (int r = 0; r < n; r++) {
      double[] row = rows.get(r);
      int at = r * features;
      for (int c = 0; c < columns; c++) {
        if (c == label) {
          y[r] = row[c];
        } else {
          x[at++] = row[c];
        }
      }
    }
    Tensor xt = options.featureDType == DType.FLOAT64 ? Tensor.of(x, n, features)
        : Tensor.of(toFloats(x), n, features).to(options.featureDType); // float32, or rounded to half
    if (label < 0) {
      return new TensorDataset(xt);
    }
    Tensor yt;
    if (options.labelDType == DType.INT64) {
      long[] ly = new long[n];
      for (int r = 0; r < n; r++) {
        if (y[r] != Math.rint(y[r]) || Math.abs(y[r]) > 1e18) {
          throw new DataFileException(READER, path, "line " + rowLines.get(r) + ": label " + y[r]
              + " is not an integer (read labels as floating with labelDType)");
        }
        ly[r] = (long) y[r];
      }
      yt = Tensor.of(ly, n);
    } else {
      yt = options.labelDType == DType.FLOAT64 ? Tensor.of(y, n) : Tensor.of(toFloats(y), n).to(options.labelDType);
    }
    return new TensorDataset(xt, yt);
  }

  private static float[] toFloats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  private static String[] split(String line, char delimiter) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= line.length(); i++) {
      if (i == line.length() || line.charAt(i) == delimiter) {
        String f = line.substring(start, i).trim();
        if (f.length() >= 2 && f.startsWith("\"") && f.endsWith("\"")) {
          f = f.substring(1, f.length() - 1).trim();
        }
        out.add(f);
        start = i + 1;
      }
    }
    return out.toArray(new String[0]);
  }

  private static double parse(Path path, String field, int line, int column)
      throws DataFileException {
    if (NUMBER.matcher(field).matches()) {
      return Double.parseDouble(field);
    }
    String lower = field.toLowerCase(java.util.Locale.ROOT);
    switch (lower) {
      case "nan", "+nan", "-nan":
        return Double.NaN;
      case "inf", "+inf", "infinity", "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf", "-infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        throw new DataFileException(READER, path, "line " + line + ", column " + (column + 1) + ": "
            + (field.isEmpty() ? "empty value" : "'" + field + "' is not a number"));
    }
  }
}
