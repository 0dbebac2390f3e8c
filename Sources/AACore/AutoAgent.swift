/// Facts about this build of AutoAgent that every command reports the same way.
public enum AutoAgent {
    public static let version = "0.1.0"

    /// Where `aa run` writes job folders unless told otherwise (Harbor's default).
    public static let defaultJobsDirectory = "jobs"
}
