package dev.restoreshim.sys;

/** prctl(2) settings of the calling process. */
public interface ProcessControl {
    /** PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented to this process. */
    void setChildSubreaper(boolean on);
}
