package dev.ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
  @TempDir Path dir;

  private Path csv(String text) throws IOException {
    Path f = dir.resolve("data.csv");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void readsFeaturesAndANamedLabelColumn() throws IOException {
    Path f = csv("\uFEFFa, label ,b\n1.5,0,2\n\n-3e-1, 2 ,\"4\"\r\nnan,1,-inf\n");
    TensorDataset ds = Csv.read(f, Csv.options().header(true).labelColumn("label"));
    assertEquals(3, ds.size());
    assertArrayEquals(new int[] {3, 2}, ds.tensor(0).shapeArray());
    assertEquals(DType.FLOAT32, ds.tensor(0).dtype());
    float[] x = ds.tensor(0).toFloatArray();
    assertArrayEquals(new float[] {1.5f, 2f, -0.3f, 4f}, java.util.Arrays.copyOf(x, 4));
    assertTrue(Float.isNaN(x[4]));
    assertEquals(Float.NEGATIVE_INFINITY, x[5]);
    assertArrayEquals(new long[] {0, 2, 1}, ds.tensor(1).toLongArray());
  }

  @Test
  void readsByIndexWithoutHeaderAndOtherDtypes() throws IOException {
    Path f = csv("1;2;0.5\n3;4;1.5\n");
    TensorDataset ds = Csv.read(f, Csv.options().delimiter(';').labelColumn(-1)
        .labelDType(DType.FLOAT64).featureDType(DType.FLOAT64));
    assertArrayEquals(new double[] {1, 2, 3, 4}, ds.tensor(0).toDoubleArray());
    assertArrayEquals(new double[] {0.5, 1.5}, ds.tensor(1).toDoubleArray());
    TensorDataset half = Csv.read(f, Csv.options().delimiter(';').labelColumn(-1)
        .labelDType(DType.FLOAT16).featureDType(DType.BFLOAT16));
    assertEquals(DType.BFLOAT16, half.tensor(0).dtype());
    assertEquals(DType.FLOAT16, half.tensor(1).dtype());
    assertArrayEquals(new double[] {0.5, 1.5}, half.tensor(1).toDoubleArray());
    TensorDataset all = Csv.read(f, Csv.options().delimiter(';'));
    assertEquals(1, all.tensors().length);
    assertArrayEquals(new int[] {2, 3}, all.tensor(0).shapeArray());
  }

  @Test
  void reportsFileLineAndColumnOfBadInput() throws IOException {
    Path f = csv("1,2\n3,x\n");
    DataFileException e = assertThrows(DataFileException.class, () -> Csv.read(f, Csv.options()));
    assertTrue(e.getMessage().contains(f + ": line 2, column 2: 'x' is not a number"), e.getMessage());
    Path ragged = csv("1,2\n3\n");
    e = assertThrows(DataFileException.class, () -> Csv.read(ragged, Csv.options()));
    assertTrue(e.getMessage().contains("line 2 has 1 fields, expected 2"), e.getMessage());
    Path empty = csv("1,,2\n");
    e = assertThrows(DataFileException.class, () -> Csv.read(empty, Csv.options()));
    assertTrue(e.getMessage().contains("empty value"), e.getMessage());
    Path frac = csv("1,0.5\n");
    e = assertThrows(DataFileException.class, () -> Csv.read(frac, Csv.options().labelColumn(1)));
    assertTrue(e.getMessage().contains("not an integer"), e.getMessage());
    Path lenient = csv("1d,0x10\n");
    assertThrows(DataFileException.class, () -> Csv.read(lenient, Csv.options()));
    Path noHeader = csv("1,2\n");
    e = assertThrows(DataFileException.class, () -> Csv.read(noHeader, Csv.options().labelColumn("y")));
    assertTrue(e.getMessage().contains("no header"), e.getMessage());
    Path nothing = csv("\n\n");
    assertThrows(DataFileException.class, () -> Csv.read(nothing, Csv.options()));
    Path badUtf8 = dir.resolve("bad.csv");
    Files.write(badUtf8, new byte[] {'1', ',', (byte) 0xff, '\n'});
    e = assertThrows(DataFileException.class, () -> Csv.read(badUtf8, Csv.options()));
    assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
  }

  @Test
  void aDirectoryIsReportedWithItsPath() {
    DataFileException e = assertThrows(DataFileException.class, () -> Csv.read(dir, Csv.options()));
    assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("directory"),
        e.getMessage());
  }
}
