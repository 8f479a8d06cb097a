package dev.restoreshim.image;

import java.io.PrintStream;

/** Reports how far a long step (a layer upload) got. */
public interface Progress {
    /** A step starts; {@code total} bytes expected, or -1 when unknown. */
    void start(String label, long total);

    /** Bytes done so far in the current step. */
    void update(long done);

    /** The current step ended. */
    void end();

    /** Reports nothing. */
    static Progress none() {
        return new Progress() {
            @Override
            public void start(String label, long total) {
            }

            @Override
            public void update(long done) {
            }

            @Override
            public void end() {
            }
        };
    }

    /** A one-line bar redrawn in place on {@code out} (a terminal), at most ten times a second. */
    static Progress bar(PrintStream out) {
        return new Progress() {
            private String label = "";
            private long total;
            private long last;

            @Override
            public void start(String l, long t) {
                label = l;
                total = t;
                last = 0;
                draw(0);
            }

            @Override
            public void update(long done) {
                long now = System.nanoTime();
                if (now - last > 100_000_000L) {
                    last = now;
                    draw(done);
                }
            }

            @Override
            public void end() {
                out.print("\r\033[K");
                out.flush();
            }

            private void draw(long done) {
                StringBuilder b = new StringBuilder("\r\033[K").append(label).append(' ');
                if (total > 0) {
                    int width = 30;
                    int filled = (int) Math.min(width, done * width / total);
                    b.append('[').append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
                    b.append(done >> 20).append('/').append(total >> 20).append(" MiB");
                } else {
                    b.append(done >> 20).append(" MiB");
                }
                out.print(b);
                out.flush();
            }
        };
    }
}
