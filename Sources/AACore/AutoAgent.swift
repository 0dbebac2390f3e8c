/// Facts about this build of AutoAgent that every command reports the same way.
public enum AutoAgent {
    public static let version = "0.1.0"

    /// Where `aa run` writes job folders unless told otherwise (Harbor's default).
    public static let defaultJobsDirectory = "jobs"

    /// How job and trial configs name the environment backend (Harbor's `environment.import_path`).
    public static let environmentImportPath = "autoagent:aa-sandbox"
}
