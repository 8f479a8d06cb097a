package dev.restoreshim.archive;

/**
 * One file of the CRIU image directory ({@code checkpoint/} in the archive).
 *
 * @param name its name inside {@code checkpoint/}, e.g. {@code pages-1.img}
 * @param size its size in bytes
 */
public record CriuImageFile(String name, long size) {
    /** True for memory pages ({@code pages-*.img}), the bulk of a checkpoint. */
    public boolean isPages() {
        return name.startsWith("pages-") && name.endsWith(".img");
    }
}
