package dev.restoreshim.overlay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The image's lower layer directories, topmost first, consulted for the attributes of a
 * directory the delta needs (a parent of a new file or of a deleted path) but does not describe
 * itself. Without this, such a directory would be created {@code root:root 0755} in the delta
 * layer and, being the top lower layer, would hide the image's owner and mode. Lookups walk
 * component by component and never follow a symlink; a whiteout or a non-directory ends the walk
 * (the directory does not exist in the merged view).
 *
 * @param layers lower layer directories, topmost first (containerd's {@code lowerdir} order)
 */
public record LowerDirs(List<Path> layers) {
    /** No lower layers: implicit directories get {@link DirAttrs#DEFAULT}. */
    public static final LowerDirs NONE = new LowerDirs(List.of());

    public LowerDirs {
        layers = List.copyOf(layers);
    }

    /** The attributes of the directory at {@code path} in the merged lower layers, if it is one there. */
    Optional<DirAttrs> find(LayerPath path) {
        for (Path layer : layers) {
            Lookup l = lookup(layer, path);
            switch (l) {
                case Lookup.Found f -> {
                    return Optional.of(f.attrs());
                }
                case Lookup.Hidden h -> {
                    return Optional.empty();
                }
                case Lookup.Absent a -> {
                    // look in the next layer down
                }
            }
        }
        return Optional.empty();
    }

    private sealed interface Lookup {
        record Found(DirAttrs attrs) implements Lookup {
        }

        record Hidden() implements Lookup {
        }

        record Absent() implements Lookup {
        }
    }

    private static Lookup lookup(Path layer, LayerPath path) {
        Path p = layer;
        Map<String, Object> attrs = null;
        try {
            attrs = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,rdev", LinkOption.NOFOLLOW_LINKS);
            for (String c : path.components()) {
                p = p.resolve(c);
                attrs = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,rdev", LinkOption.NOFOLLOW_LINKS);
                int type = (int) attrs.get("mode") & 0170000;
                if (type != 0040000) {
                    return new Lookup.Hidden(); // a whiteout, file or symlink hides what is below
                }
            }
        } catch (IOException e) {
            return new Lookup.Absent();
        }
        long mtime = ((FileTime) attrs.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
        return new Lookup.Found(new DirAttrs((int) attrs.get("mode"), (int) attrs.get("uid"), (int) attrs.get("gid"), mtime));
    }
}
