package dev.restoreshim.cli;

import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns separated by two spaces, sized to the widest cell; the last column is not padded. */
final class TextTable {
    private final List<List<String>> rows = new ArrayList<>();

    TextTable(String... header) {
        rows.add(List.of(header));
    }

    TextTable row(String... cells) {
        if (cells.length != rows.getFirst().size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, header " + rows.getFirst().size());
        }
        rows.add(List.of(cells));
        return this;
    }

    String render() {
        int columns = rows.getFirst().size();
        int[] width = new int[columns];
        for (List<String> r : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], r.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                line.append(c == columns - 1 ? r.get(c) : pad(r.get(c), width[c] + 2));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }
}
