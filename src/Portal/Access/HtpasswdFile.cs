namespace Wharf.Portal.Access;

/// <summary>
/// distribution's <c>auth.htpasswd</c> file: <c>user:hash</c> lines, bcrypt hashes only (<c>htpasswd -B</c>; other
/// hash types are skipped with a warning, as distribution ignores them). The file is read again when its size or
/// modification time changes, checked at most once per <see cref="RecheckInterval"/>, so users can be added and
/// removed without a restart.
/// </summary>
public sealed partial class HtpasswdFile
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger<HtpasswdFile> _logger;
    private readonly Lock _lock = new();
    private IReadOnlyDictionary<string, string> _users = new Dictionary<string, string>();
    private (DateTime Modified, long Length) _version;
    private DateTimeOffset _checkedAt;

    /// <exception cref="InvalidDataException">The file is missing or unreadable (at start: Wharf does not start).</exception>
    public HtpasswdFile(string path, TimeProvider time, ILogger<HtpasswdFile> logger)
    {
        _path = path;
        _time = time;
        _logger = logger;
        if (!File.Exists(path))
            throw new InvalidDataException($"auth.htpasswd.path: {path} does not exist (create it with: htpasswd -Bbc {path} USER PASSWORD)");
        Reload();
    }

    /// <summary>Whether the password is the user's. Comparing a bcrypt hash takes tens of milliseconds: callers cache successes.</summary>
    public bool Verify(string user, string password)
    {
        RecheckIfDue();
        if (!_users.TryGetValue(user, out var hash)) return false;
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    /// <summary>A value that changes whenever the file is read again, so cached successes can be dropped.</summary>
    public (DateTime, long) Version
    {
        get
        {
            RecheckIfDue();
            return _version;
        }
    }

    private void RecheckIfDue()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (now - _checkedAt < RecheckInterval) return;
            _checkedAt = now;
        }
        var info = new FileInfo(_path);
        var version = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        if (version != _version) Reload();
    }

    private void Reload()
    {
        var info = new FileInfo(_path);
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var raw in File.ReadLines(_path))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                var colon = line.IndexOf(':');
                if (colon <= 0) continue;
                var (user, hash) = (line[..colon], line[(colon + 1)..]);
                if (hash.StartsWith("$2y$") || hash.StartsWith("$2a$") || hash.StartsWith("$2b$")) users[user] = hash;
                else LogNotBcrypt(_logger, user, _path);
            }
        }
        catch (IOException e)
        {
            // Keep the users read last time rather than locking everyone out over a file being rewritten.
            LogUnreadable(_logger, _path, e.Message);
            return;
        }
        catch (UnauthorizedAccessException e)
        {
            LogUnreadable(_logger, _path, e.Message);
            return;
        }
        _users = users;
        _version = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        LogLoaded(_logger, users.Count, _path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "htpasswd: {Count} users read from {Path}")]
    private static partial void LogLoaded(ILogger logger, int count, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "htpasswd: user {User} in {Path} is skipped: only bcrypt hashes are accepted (htpasswd -B)")]
    private static partial void LogNotBcrypt(ILogger logger, string user, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "htpasswd: {Path} could not be read ({Message}); the users read before stay in effect")]
    private static partial void LogUnreadable(ILogger logger, string path, string message);
}
