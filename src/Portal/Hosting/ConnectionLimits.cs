using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Wharf.Portal.Hosting;

/// <summary>
/// Caps on connections (<c>Wharf:Limits:MaxConnections</c>, 10,000; <c>Wharf:Limits:ConnectionsPerClient</c>, 256):
/// one client cannot hold thousands of idle keep-alive connections and starve everyone else. Trusted reverse proxies
/// (Wharf:ForwardedHeaders) carry everyone's connections and are not capped per client.
/// </summary>
public sealed class ConnectionLimits
{
    public int MaxConnections { get; init; } = 10_000;
    public int ConnectionsPerClient { get; init; } = 256;

    /// <exception cref="InvalidDataException">A cap is not a positive whole number.</exception>
    public static ConnectionLimits Bind(IConfiguration configuration)
    {
        var section = configuration.GetSection("Wharf:Limits");
        return new ConnectionLimits
        {
            MaxConnections = Count(section["MaxConnections"], "Wharf:Limits:MaxConnections") ?? 10_000,
            ConnectionsPerClient = Count(section["ConnectionsPerClient"], "Wharf:Limits:ConnectionsPerClient") ?? 256,
        };
    }

    private static int? Count(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value, out var n) && n > 0 ? n : throw new InvalidDataException($"{key}: '{value}' is not a positive whole number");
    }
}

/// <summary>
/// Counts open connections per client address and closes one over the cap before any byte is read. Kestrel has a
/// global cap (<c>MaxConcurrentConnections</c>, used too) but none per client, hence this connection middleware.
/// </summary>
public sealed class ClientConnectionLimiter(int perClient, Func<IPAddress, bool> exempt)
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();

    public bool TryEnter(IPAddress address)
    {
        if (exempt(address)) return true;
        var count = _open.AddOrUpdate(address, 1, (_, n) => n + 1);
        if (count <= perClient) return true;
        Leave(address);
        return false;
    }

    public void Leave(IPAddress address)
    {
        if (exempt(address)) return;
        while (_open.TryGetValue(address, out var n))
        {
            if (n <= 1 ? _open.TryRemove(new KeyValuePair<IPAddress, int>(address, n)) : _open.TryUpdate(address, n - 1, n)) return;
        }
    }

    public void Apply(ListenOptions listen) => listen.Use(next => async connection =>
    {
        if (connection.RemoteEndPoint is not IPEndPoint { Address: var address })
        {
            await next(connection);
            return;
        }
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (!TryEnter(address)) return; // returning closes the connection
        try
        {
            await next(connection);
        }
        finally
        {
            Leave(address);
        }
    });
}
