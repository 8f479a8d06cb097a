package dev.restoreshim.it;

/**
 * The steps of one pod's life as the kubelet drives them through CRI, in order, each timed by
 * {@link TimedPod}. {@link #FIRST_LOG} is the time from StartContainer's reply until the app's
 * first line is in its CRI log file.
 */
public enum PodPhase {
    RUN_POD_SANDBOX("RunPodSandbox"),
    PULL_IMAGE("PullImage"),
    CREATE_CONTAINER("CreateContainer"),
    START_CONTAINER("StartContainer"),
    FIRST_LOG("first log line"),
    STOP_CONTAINER("StopContainer"),
    REMOVE_CONTAINER("RemoveContainer"),
    STOP_POD_SANDBOX("StopPodSandbox"),
    REMOVE_POD_SANDBOX("RemovePodSandbox");

    private final String label;

    PodPhase(String label) {
        this.label = label;
    }

    /** The name printed in the table (the CRI call, or what was waited for). */
    public String label() {
        return label;
    }

    /** True for the phases summed into "pod start" (RunPodSandbox up to the first log line). */
    public boolean isStart() {
        return ordinal() <= FIRST_LOG.ordinal();
    }
}
