package dev.restoreshim.sys;

/**
 * Raw file descriptors: what the JDK cannot give us (fds handed to children, fifos opened without
 * blocking, ptys). All fds this interface creates are close-on-exec; the launcher maps the ones a
 * child needs explicitly.
 */
public interface Fds {
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_RDWR = 2;
    int O_CREAT = 0100;
    int O_EXCL = 0200;
    int O_NOCTTY = 0400;
    int O_TRUNC = 01000;
    int O_APPEND = 02000;
    int O_NONBLOCK = 04000;
    int O_CLOEXEC = 02000000;

    /** open(2); O_CLOEXEC is always added. */
    int open(String path, int flags, int mode);

    /** close(2); EBADF is reported, EINTR is not (the fd is gone either way on Linux). */
    void close(int fd);

    /** pipe2(2) with O_CLOEXEC: {@code [readEnd, writeEnd]}. */
    int[] pipe();

    /** read(2) into {@code buf[off, off+len)}: bytes read, 0 at EOF, -1 when a non-blocking fd has nothing. */
    int read(int fd, byte[] buf, int off, int len);

    /** write(2) of all of {@code buf[off, off+len)}, looping on short writes. */
    void write(int fd, byte[] buf, int off, int len);

    /** Sets or clears O_NONBLOCK on the open file description. */
    void setNonBlocking(int fd, boolean on);

    /** poll(2) for readability: true when {@code fd} is readable or hung up within the timeout. */
    boolean awaitReadable(int fd, int timeoutMillis);

    /** ioctl(TIOCSWINSZ) on a terminal fd. */
    void setWindowSize(int fd, int width, int height);
}
