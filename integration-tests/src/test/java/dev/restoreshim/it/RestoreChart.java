package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The restore benchmark's chart (XChart, PNG): median time from CreateContainer until the restored
 * app's first tick is visible, per memory size, one bar per side (stock containerd beside the
 * restore-shim variants: EROFS eager, tmpfs, lazy).
 */
final class RestoreChart {
    private RestoreChart() {
    }

    /** One side's medians in ms, in the order of {@code sizesMib}; NaN where it failed. */
    record Series(String label, List<Double> medianMs) {
    }

    static void write(Path png, List<Integer> sizesMib, List<Series> series, String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(900).height(520)
                .title("Restore from a checkpoint archive: CreateContainer until the app runs (median)")
                .xAxisTitle("memory filled by the app (" + subtitle + ")").yAxisTitle("ms").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        List<String> x = sizesMib.stream().map(m -> m >= 1024 && m % 1024 == 0 ? (m / 1024) + " GiB" : m + " MiB").toList();
        for (Series s : series) {
            List<Number> y = new ArrayList<>();
            s.medianMs().forEach(v -> y.add(Double.isNaN(v) ? 0 : Math.round(v))); // whole ms in the bar labels
            chart.addSeries(s.label(), x, y);
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
