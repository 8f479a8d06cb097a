package dev.restoreshim.overlay;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.FsMounts;
import dev.restoreshim.sys.Mounts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The overlay a restored container runs on: the checkpoint's delta layer as the topmost lower
 * layer, directly above the image layers of the request's rootfs mount, with the request's own
 * upper and work directories ({@code lowerdir=<delta>:a:b:c,upperdir=..,workdir=..}).
 *
 * <p>Built from containerd's single rootfs mount: an {@code overlay} mount (its lower dirs, upper,
 * work and other options such as {@code index=off} are kept), or a {@code bind} mount of a single
 * layer: read-only, the source becomes the one image layer and {@code scratch} supplies upper and
 * work (without scratch the overlay is read-only); read-write (an image without layers), the
 * source is the upper dir and {@code scratch} must supply the work dir (same filesystem).
 *
 * <p>How it is mounted ({@link #method()}): with mount(2) when the data string fits in one page
 * and no path needs escaping; otherwise through the new mount API, one {@code lowerdir+}
 * parameter per layer, so the page limit never applies (kernel 6.8 and later).
 *
 * @param lowerDirs lower layers, topmost first; the first is the delta
 * @param upperDir the upper dir, if any
 * @param workDir the work dir, if any
 * @param extraOptions other overlay options ({@code index=off}, {@code userxattr}, ...)
 * @param readOnly whether the mount is read-only
 * @param flags other mount flags as {@code MS_*} bits (without {@code MS_RDONLY})
 */
public record OverlayStack(List<Path> lowerDirs, Optional<Path> upperDir, Optional<Path> workDir,
        List<String> extraOptions, boolean readOnly, long flags) {
    /** The size of the mount(2) data page, terminating NUL included. */
    public static final int PAGE = 4096;

    /** How the overlay is mounted. */
    public enum Method {
        /** mount(2) with a {@code lowerdir=a:b:c} data string. */
        MOUNT_DATA,
        /** fsopen/fsconfig/fsmount/move_mount, one {@code lowerdir+} per layer. */
        FSCONFIG
    }

    /** Upper and work directories the caller provides when the request's mount has none. */
    public record Scratch(Path upper, Path work) {
    }

    private static final Map<String, Long> FLAGS = Map.of("nosuid", Mounts.MS_NOSUID, "nodev", Mounts.MS_NODEV,
            "noexec", Mounts.MS_NOEXEC, "noatime", Mounts.MS_NOATIME, "nodiratime", Mounts.MS_NODIRATIME,
            "strictatime", Mounts.MS_STRICTATIME, "relatime", Mounts.MS_RELATIME, "sync", Mounts.MS_SYNCHRONOUS,
            "dirsync", Mounts.MS_DIRSYNC);
    private static final List<String> IGNORED = List.of("rw", "defaults", "bind", "rbind", "rprivate", "private",
            "rslave", "slave", "rshared", "shared");

    public OverlayStack {
        lowerDirs = List.copyOf(lowerDirs);
        extraOptions = List.copyOf(extraOptions);
        if (lowerDirs.isEmpty()) {
            throw new IllegalArgumentException("an overlay needs a lower dir");
        }
    }

    /**
     * The stack for {@code mounts} (containerd sends exactly one rootfs mount) with {@code delta}
     * on top.
     *
     * @param scratch upper and work for a bind mount; may be null
     * @throws ShimException INVALID_ARGUMENT for an unsupported mount, FAILED_PRECONDITION when
     *     a read-write bind mount comes without scratch
     */
    public static OverlayStack of(List<RootfsMount> mounts, Path delta, Scratch scratch) {
        if (mounts.size() != 1) {
            throw ShimException.invalidArgument("restore rootfs: need exactly one rootfs mount, got " + mounts.size());
        }
        if (!delta.isAbsolute()) {
            throw ShimException.invalidArgument("restore rootfs: delta layer path \"" + delta + "\" is not absolute");
        }
        RootfsMount m = mounts.getFirst();
        Options o = Options.parse(m.options());
        if (m.isBind()) {
            return onBind(m, o, delta, scratch);
        }
        if (!m.type().equals("overlay")) {
            throw ShimException.invalidArgument("restore rootfs: cannot put a delta layer on a \"" + m.type()
                    + "\" mount (overlay or bind only)");
        }
        if (o.lowers().isEmpty()) {
            throw ShimException.invalidArgument("restore rootfs: overlay mount without lowerdir");
        }
        if ((o.upper() == null) != (o.work() == null)) {
            throw ShimException.invalidArgument("restore rootfs: overlay mount needs both upperdir and workdir");
        }
        List<Path> lowers = new ArrayList<>(List.of(delta));
        lowers.addAll(o.lowers());
        return new OverlayStack(lowers, Optional.ofNullable(o.upper()), Optional.ofNullable(o.work()), o.extra(),
                o.readOnly(), o.flags());
    }

    /**
     * The topmost image layer of {@code mounts}: the first {@code lowerdir} of an overlay mount, or
     * the source of a bind mount; empty for anything else (or not exactly one mount).
     */
    public static Optional<Path> topLayer(List<RootfsMount> mounts) {
        if (mounts.size() != 1) {
            return Optional.empty();
        }
        RootfsMount m = mounts.getFirst();
        if (m.isBind()) {
            return m.source().isEmpty() ? Optional.empty() : Optional.of(Path.of(m.source()));
        }
        if (!m.type().equals("overlay")) {
            return Optional.empty();
        }
        List<Path> lowers = Options.parse(m.options()).lowers();
        return lowers.isEmpty() ? Optional.empty() : Optional.of(lowers.getFirst());
    }

    /**
     * The stack of the request's overlay mount without its topmost lower layer (a restore image's
     * checkpoint layer, which the application must not see); upper, work and options unchanged.
     *
     * @throws ShimException INVALID_ARGUMENT for anything but one overlay mount, FAILED_PRECONDITION
     *     when no layer would remain below the removed one
     */
    public static OverlayStack withoutTopLayer(List<RootfsMount> mounts) {
        if (mounts.size() != 1) {
            throw ShimException.invalidArgument("restore rootfs: need exactly one rootfs mount, got " + mounts.size());
        }
        RootfsMount m = mounts.getFirst();
        if (m.isBind() || !m.type().equals("overlay")) {
            throw ShimException.failedPrecondition("restore rootfs: a \"" + m.type() + "\" mount of "
                    + (m.source().isEmpty() ? "?" : m.source()) + " has no layer below the checkpoint layer");
        }
        Options o = Options.parse(m.options());
        if (o.lowers().size() < 2) {
            throw ShimException.failedPrecondition("restore rootfs: the overlay has no layer below the checkpoint layer "
                    + (o.lowers().isEmpty() ? "(no lowerdir)" : o.lowers().getFirst().toString()));
        }
        if ((o.upper() == null) != (o.work() == null)) {
            throw ShimException.invalidArgument("restore rootfs: overlay mount needs both upperdir and workdir");
        }
        return new OverlayStack(o.lowers().subList(1, o.lowers().size()), Optional.ofNullable(o.upper()),
                Optional.ofNullable(o.work()), o.extra(), o.readOnly(), o.flags());
    }

    private static OverlayStack onBind(RootfsMount m, Options o, Path delta, Scratch scratch) {
        if (m.source().isEmpty()) {
            throw ShimException.invalidArgument("restore rootfs: bind mount without source");
        }
        Path source = Path.of(m.source());
        if (o.readOnly()) {
            return scratch == null
                    ? new OverlayStack(List.of(delta, source), Optional.empty(), Optional.empty(), List.of(), true, o.flags())
                    : new OverlayStack(List.of(delta, source), Optional.of(scratch.upper()), Optional.of(scratch.work()),
                            List.of(), false, o.flags());
        }
        if (scratch == null) {
            throw ShimException.failedPrecondition("restore rootfs: read-write bind mount of " + source
                    + " needs a work dir on the same filesystem");
        }
        return new OverlayStack(List.of(delta), Optional.of(source), Optional.of(scratch.work()), List.of(), false,
                o.flags());
    }

    /** containerd's options split into layers, flags and the overlay options passed on. */
    private record Options(List<Path> lowers, Path upper, Path work, List<String> extra, boolean readOnly, long flags) {
        static Options parse(List<String> options) {
            List<Path> lowers = new ArrayList<>();
            List<String> extra = new ArrayList<>();
            Path upper = null;
            Path work = null;
            boolean ro = false;
            long flags = 0;
            for (String o : options) {
                int eq = o.indexOf('=');
                String value = eq < 0 ? "" : o.substring(eq + 1);
                switch (eq < 0 ? o : o.substring(0, eq)) {
                    case "lowerdir" -> lowers.addAll(parseLowerDirs(value));
                    case "upperdir" -> upper = Path.of(value);
                    case "workdir" -> work = Path.of(value);
                    case "ro" -> ro = true;
                    default -> {
                        if (FLAGS.containsKey(o)) {
                            flags |= FLAGS.get(o);
                        } else if (!IGNORED.contains(o) && !o.isEmpty()) {
                            extra.add(o);
                        }
                    }
                }
            }
            return new Options(lowers, upper, work, extra, ro, flags);
        }
    }

    /** The same stack with {@code delta} as its top lower layer instead (once it is known where it lies). */
    public OverlayStack withDelta(Path delta) {
        List<Path> lowers = new ArrayList<>(lowerDirs);
        lowers.set(0, delta);
        return new OverlayStack(lowers, upperDir, workDir, extraOptions, readOnly, flags);
    }

    /** The image layers below the delta, topmost first (for {@link LowerDirs}). */
    public LowerDirs imageLayers() {
        return new LowerDirs(lowerDirs.subList(1, lowerDirs.size()));
    }

    /** The mount(2) data string: {@code lowerdir=..,upperdir=..,workdir=..,extra}. */
    public String mountData() {
        List<String> parts = new ArrayList<>();
        parts.add("lowerdir=" + String.join(":", lowerDirs.stream().map(p -> escape(p.toString())).toList()));
        upperDir.ifPresent(u -> parts.add("upperdir=" + escape(u.toString())));
        workDir.ifPresent(w -> parts.add("workdir=" + escape(w.toString())));
        parts.addAll(extraOptions);
        return String.join(",", parts);
    }

    /** mount(2) when the data fits in a page and no path needs escaping, else the new API. */
    public Method method() {
        boolean plain = lowerDirs.stream().allMatch(p -> plain(p.toString()))
                && upperDir.map(p -> plain(p.toString())).orElse(true) && workDir.map(p -> plain(p.toString())).orElse(true);
        return plain && mountData().getBytes(StandardCharsets.UTF_8).length < PAGE ? Method.MOUNT_DATA : Method.FSCONFIG;
    }

    /** The fsconfig(2) parameters: one {@code lowerdir+} per layer, topmost first. */
    public List<FsMounts.Param> fsParams() {
        List<FsMounts.Param> out = new ArrayList<>();
        out.add(new FsMounts.Value("source", "overlay"));
        for (Path p : lowerDirs) {
            out.add(new FsMounts.Value("lowerdir+", p.toString()));
        }
        upperDir.ifPresent(u -> out.add(new FsMounts.Value("upperdir", u.toString())));
        workDir.ifPresent(w -> out.add(new FsMounts.Value("workdir", w.toString())));
        for (String o : extraOptions) {
            int eq = o.indexOf('=');
            out.add(eq < 0 ? new FsMounts.Flag(o) : new FsMounts.Value(o.substring(0, eq), o.substring(eq + 1)));
        }
        return out;
    }

    /** The mount(2) flags, {@code MS_RDONLY} included when read-only. */
    public long mountFlags() {
        return flags | (readOnly ? Mounts.MS_RDONLY : 0);
    }

    /** The fsmount(2) attribute flags matching {@link #mountFlags()}. */
    public int attrFlags() {
        int a = readOnly ? FsMounts.MOUNT_ATTR_RDONLY : 0;
        a |= (flags & Mounts.MS_NOSUID) != 0 ? FsMounts.MOUNT_ATTR_NOSUID : 0;
        a |= (flags & Mounts.MS_NODEV) != 0 ? FsMounts.MOUNT_ATTR_NODEV : 0;
        a |= (flags & Mounts.MS_NOEXEC) != 0 ? FsMounts.MOUNT_ATTR_NOEXEC : 0;
        a |= (flags & Mounts.MS_NOATIME) != 0 ? FsMounts.MOUNT_ATTR_NOATIME : 0;
        a |= (flags & Mounts.MS_NODIRATIME) != 0 ? FsMounts.MOUNT_ATTR_NODIRATIME : 0;
        a |= (flags & Mounts.MS_STRICTATIME) != 0 ? FsMounts.MOUNT_ATTR_STRICTATIME : 0;
        return a;
    }

    /** Splits containerd's {@code lowerdir} value at unescaped colons, removing backslash escapes. */
    static List<Path> parseLowerDirs(String value) {
        List<Path> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                cur.append(value.charAt(++i));
            } else if (c == ':') {
                addLower(out, cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        addLower(out, cur.toString());
        return out;
    }

    private static void addLower(List<Path> out, String p) {
        if (p.isEmpty()) {
            throw ShimException.invalidArgument("restore rootfs: empty path in lowerdir");
        }
        out.add(Path.of(p));
    }

    private static boolean plain(String p) {
        return p.indexOf(':') < 0 && p.indexOf(',') < 0 && p.indexOf('\\') < 0;
    }

    private static String escape(String p) {
        return p.replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,");
    }
}
