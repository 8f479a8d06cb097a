package dev.restoreshim.overlay;

/**
 * The attributes a directory is given in a layer.
 *
 * @param mode the permission bits (twelve bits, no type)
 * @param uid the owner
 * @param gid the group
 * @param mtimeNanos modification time in nanoseconds since the epoch
 */
public record DirAttrs(int mode, int uid, int gid, long mtimeNanos) {
    /** A directory the layer needs but the archive does not describe and no lower layer has. */
    public static final DirAttrs DEFAULT = new DirAttrs(0755, 0, 0, 0);

    public DirAttrs {
        mode &= 07777;
    }
}
