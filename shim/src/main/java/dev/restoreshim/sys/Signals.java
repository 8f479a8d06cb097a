package dev.restoreshim.sys;

/** Sending signals. ESRCH surfaces as {@link NoSuchProcessException}. */
public interface Signals {
    int SIGHUP = 1;
    int SIGINT = 2;
    int SIGKILL = 9;
    int SIGTERM = 15;
    int SIGCONT = 18;
    int SIGSTOP = 19;

    /** kill(2). */
    void kill(int pid, int signal);

    /** pidfd_send_signal(2): signals the exact process a pidfd refers to, immune to pid reuse. */
    void pidfdSendSignal(int pidfd, int signal);
}
