package dev.ember.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws training curves as a PNG with the JDK's Java2D: one panel per metric, series in colors. */
final class LineChart {
  /** A named series of (x, y) points. */
  record Series(String name, Color color, List<double[]> points) {}

  /** A panel: a title and its series. */
  record Panel(String title, List<Series> series) {}

  private LineChart() {}

  /** Renders the panels side by side and writes the PNG atomically. */
  static void write(Path file, String title, List<Panel> panels) throws IOException {
    System.setProperty("java.awt.headless", "true");
    int pw = 460;
    int ph = 340;
    BufferedImage img = new BufferedImage(pw * panels.size(), ph + 40, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, 12, 22);
    for (int p = 0; p < panels.size(); p++) {
      drawPanel(g, panels.get(p), p * pw, 40, pw, ph);
    }
    g.dispose();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    ImageIO.write(img, "png", tmp.toFile());
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void drawPanel(Graphics2D g, Panel panel, int x0, int y0, int w, int h) {
    int left = x0 + 60;
    int right = x0 + w - 15;
    int top = y0 + 25;
    int bottom = y0 + h - 45;
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double minY = Double.MAX_VALUE;
    double maxY = -Double.MAX_VALUE;
    for (Series s : panel.series()) {
      for (double[] pt : s.points()) {
        minX = Math.min(minX, pt[0]);
        maxX = Math.max(maxX, pt[0]);
        minY = Math.min(minY, pt[1]);
        maxY = Math.max(maxY, pt[1]);
      }
    }
    if (minX > maxX) {
      return;
    }
    if (maxX == minX) {
      maxX = minX + 1;
    }
    double pad = (maxY - minY) * 0.05 + 1e-9;
    minY = minY >= 0 ? Math.max(0, minY - pad) : minY - pad;
    maxY += pad;
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setColor(Color.BLACK);
    g.drawString(panel.title(), left, top - 8);
    g.setColor(new Color(225, 225, 225));
    for (int i = 0; i <= 5; i++) {
      int y = bottom - (bottom - top) * i / 5;
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.3g", minY + (maxY - minY) * i / 5), x0 + 5, y + 4);
      g.setColor(new Color(225, 225, 225));
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, right - left, bottom - top);
    g.drawString(String.format(Locale.ROOT, "%.3g", minX), left, bottom + 15);
    g.drawString(String.format(Locale.ROOT, "%.3g epochs", maxX), right - 70, bottom + 15);
    int legendY = bottom + 32;
    int legendX = left;
    for (Series s : panel.series()) {
      g.setColor(s.color());
      g.setStroke(new BasicStroke(1.8f));
      int px = -1;
      int py = -1;
      for (double[] pt : s.points()) {
        int x = left + (int) ((pt[0] - minX) / (maxX - minX) * (right - left));
        int y = bottom - (int) ((pt[1] - minY) / (maxY - minY) * (bottom - top));
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        if (s.points().size() < 40) {
          g.fillOval(x - 3, y - 3, 6, 6);
        }
        px = x;
        py = y;
      }
      g.fillRect(legendX, legendY - 8, 12, 8);
      g.setColor(Color.BLACK);
      g.drawString(s.name(), legendX + 16, legendY);
      legendX += 30 + g.getFontMetrics().stringWidth(s.name());
    }
    g.setStroke(new BasicStroke(1f));
  }
}
