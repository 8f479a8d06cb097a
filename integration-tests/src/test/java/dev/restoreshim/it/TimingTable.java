package dev.restoreshim.it;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The demo's result table: for each pod phase, the median and p90 (nearest rank) of the warm pods
 * of two handlers, the ratio of the medians (second / first), and the first (cold) pod of each
 * handler. Two derived rows: "pod start" (RunPodSandbox up to the first log line) and "pod total".
 *
 * @param first      label of the baseline handler (runc)
 * @param second     label of the compared handler (restore)
 * @param firstWarm  per-phase milliseconds of the baseline's warm pods
 * @param secondWarm per-phase milliseconds of the compared handler's warm pods
 * @param firstCold  the baseline's first pod
 * @param secondCold the compared handler's first pod
 */
public record TimingTable(String first, String second,
                          List<Map<PodPhase, Double>> firstWarm, List<Map<PodPhase, Double>> secondWarm,
                          Map<PodPhase, Double> firstCold, Map<PodPhase, Double> secondCold) {

    /** The table as fixed-width text lines. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        String head = "%-18s | %8s %8s | %8s %8s | %6s | %8s %8s";
        out.add(head.formatted("", first, "", second, "", "ratio", "1st pod", ""));
        out.add(head.formatted("phase (ms)", "p50", "p90", "p50", "p90", "p50", first, second));
        out.add("-".repeat(out.get(1).length()));
        for (PodPhase phase : PodPhase.values()) {
            out.add(row(phase.label(), m -> m.get(phase)));
        }
        out.add("-".repeat(out.get(1).length()));
        out.add(row("pod start", TimingTable::start));
        out.add(row("pod total", TimingTable::total));
        return out;
    }

    private String row(String label, ToDoubleFunction<Map<PodPhase, Double>> value) {
        double[] a = firstWarm.stream().mapToDouble(value).sorted().toArray();
        double[] b = secondWarm.stream().mapToDouble(value).sorted().toArray();
        double ratio = percentile(b, 50) / percentile(a, 50);
        return "%-18s | %8.1f %8.1f | %8.1f %8.1f | %5.2fx | %8.1f %8.1f".formatted(label,
                percentile(a, 50), percentile(a, 90), percentile(b, 50), percentile(b, 90), ratio,
                value.applyAsDouble(firstCold), value.applyAsDouble(secondCold));
    }

    /** RunPodSandbox up to the app's first log line. */
    static double start(Map<PodPhase, Double> pod) {
        return Arrays.stream(PodPhase.values()).filter(PodPhase::isStart).mapToDouble(pod::get).sum();
    }

    /** Every phase. */
    static double total(Map<PodPhase, Double> pod) {
        return pod.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** Nearest-rank percentile of sorted values ({@code p} in 1..100). */
    static double percentile(double[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
