package dev.restoreshim.config;

import java.util.Locale;

/** The daemon's log threshold, as spelled in the config file ({@code log_level = "debug"}). */
public enum LogLevel {
    ERROR, WARN, INFO, DEBUG, TRACE;

    /** The config spelling, lower case. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the config spelling; returns null when the value is not a level name. */
    static LogLevel parse(String value) {
        for (LogLevel l : values()) {
            if (l.configName().equals(value)) {
                return l;
            }
        }
        return null;
    }
}
