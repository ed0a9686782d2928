namespace Wharf.Registry.Proxy;

public enum UpstreamFailure
{
    /// <summary>The upstream does not have the manifest or blob.</summary>
    NotFound,
    /// <summary>The upstream refused the credentials, or wants some and none are configured.</summary>
    Unauthorized,
    /// <summary>The upstream is rate-limiting (Docker Hub's pull limit).</summary>
    TooManyRequests,
    /// <summary>Unreachable, timed out, or answering 5xx.</summary>
    Unavailable,
    /// <summary>It answered, but with something unusable (a bad digest, an unexpected status, a schema1 manifest).</summary>
    Invalid,
}

/// <summary>
/// An upstream call that failed. Messages name the upstream and what went wrong, never a password; the API turns
/// them into registry errors with <see cref="ToRegistryException"/>.
/// </summary>
public sealed class UpstreamException(UpstreamFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public UpstreamFailure Failure { get; } = failure;

    /// <summary>Whether the upstream failed (as opposed to answering "not found"): a cached copy may be served instead.</summary>
    public bool IsFailure => Failure is not UpstreamFailure.NotFound;

    public RegistryException ToRegistryException() => new(Failure switch
    {
        // Not UNAUTHORIZED: that would tell the client to authenticate to Wharf, which is not the problem.
        UpstreamFailure.Unauthorized => RegistryError.Denied,
        UpstreamFailure.TooManyRequests => RegistryError.TooManyRequests,
        UpstreamFailure.NotFound => RegistryError.NameUnknown,
        UpstreamFailure.Invalid => RegistryError.Unavailable.WithStatus(502),
        _ => RegistryError.Unavailable,
    }, Message);
}
