package dev.restoreshim.overlay;

import dev.restoreshim.errors.ShimException;
import java.util.ArrayList;
import java.util.List;

/**
 * A path inside a layer, as components relative to the layer root; the empty path is the root.
 * Parsing polices the name: {@code ..} anywhere and (for tar entries) a leading {@code /} are
 * refused, {@code .} and empty components are dropped.
 *
 * @param components the non-empty, non-dot components
 */
record LayerPath(List<String> components) {
    LayerPath {
        components = List.copyOf(components);
    }

    /**
     * A tar entry name: must be relative ({@code ./a/b}, {@code a/b/}).
     *
     * @throws ShimException INVALID_ARGUMENT naming the entry
     */
    static LayerPath ofEntry(String name) {
        if (name.startsWith("/")) {
            throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": absolute path");
        }
        return parse(name, name, "entry");
    }

    /**
     * A path from {@code deleted.files}: container paths, usually absolute ({@code /etc/motd}).
     *
     * @throws ShimException INVALID_ARGUMENT naming the path
     */
    static LayerPath ofContainerPath(String path) {
        return parse(path.replaceFirst("^/+", ""), path, "deleted.files path");
    }

    /**
     * A hard link's target, which tar stores as a name within the same archive.
     *
     * @throws ShimException INVALID_ARGUMENT naming the entry and its link target
     */
    static LayerPath ofLinkTarget(String entry, String target) {
        if (target.startsWith("/")) {
            throw ShimException.invalidArgument("delta layer: entry \"" + entry + "\": hard link to absolute path \""
                    + target + "\"");
        }
        try {
            return parse(target, target, "entry");
        } catch (ShimException e) {
            throw ShimException.invalidArgument("delta layer: entry \"" + entry + "\": hard link target \"" + target
                    + "\" leaves the layer");
        }
    }

    private static LayerPath parse(String name, String shown, String what) {
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw ShimException.invalidArgument("delta layer: " + what + " \"" + shown + "\": \"..\" leaves the layer");
            }
            if (c.indexOf('\0') >= 0) {
                throw ShimException.invalidArgument("delta layer: " + what + " \"" + shown + "\": NUL in name");
            }
            out.add(c);
        }
        return new LayerPath(out);
    }

    /** True when a component is aufs metadata ({@code .wh..wh.plnk} and the like). */
    boolean inAufsMetadata() {
        return components.stream().anyMatch(c -> c.startsWith(".wh..wh.") && !c.equals(".wh..wh..opq"));
    }

    boolean isRoot() {
        return components.isEmpty();
    }

    /** The last component; the root has none. */
    String name() {
        return isRoot() ? "" : components.getLast();
    }

    /** The parent path; the root's parent is the root. */
    LayerPath parent() {
        return isRoot() ? this : new LayerPath(components.subList(0, components.size() - 1));
    }

    /** This path with one more component. */
    LayerPath child(String name) {
        List<String> c = new ArrayList<>(components);
        c.add(name);
        return new LayerPath(c);
    }

    @Override
    public String toString() {
        return "/" + String.join("/", components);
    }
}
