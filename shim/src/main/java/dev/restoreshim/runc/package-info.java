/**
 * runc's command line, typed: option records render their own argv (as go-runc's
 * {@code args()}), {@link dev.restoreshim.runc.Runc} runs the commands through the injected
 * launcher and reaper, always with {@code --log <file> --log-format json}, and a failure is a
 * {@link dev.restoreshim.runc.RuncException} quoting runc's last logged error.
 */
package dev.restoreshim.runc;
