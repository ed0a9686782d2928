using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Wharf.Registry.Uploads;

/// <summary>
/// The running hash and lock of each upload session in this process. .NET cannot serialize a hash's internal state,
/// so after a restart (or on another instance) the hash is rebuilt once by reading what the session already holds.
/// </summary>
public sealed class UploadHashStates
{
    private readonly ConcurrentDictionary<Guid, UploadHashState> _states = new();

    public UploadHashState Get(Guid id) => _states.GetOrAdd(id, _ => new UploadHashState());

    public void Remove(Guid id)
    {
        if (_states.TryRemove(id, out var state)) state.Reset();
    }
}

public sealed class UploadHashState
{
    /// <summary>Serializes the requests of one session: chunks must be applied one after the other.</summary>
    public SemaphoreSlim Lock { get; } = new(1, 1);

    /// <summary>SHA-256 over the first <see cref="Offset"/> bytes of the session, or null when unknown.</summary>
    public IncrementalHash? Hash { get; private set; }

    public long Offset { get; private set; }

    public void Set(IncrementalHash hash, long offset)
    {
        if (!ReferenceEquals(Hash, hash)) Hash?.Dispose();
        Hash = hash;
        Offset = offset;
    }

    public void Reset()
    {
        Hash?.Dispose();
        Hash = null;
        Offset = 0;
    }
}
