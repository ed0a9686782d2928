using Xunit;

namespace Wharf.Tests.Unit.Portal.Pages;

/// <summary>
/// A real Wharf for the portal's tests with one Viewer, <c>viewer</c>, beside the first Admin: what the layout offers
/// each role is compared over the same two users.
/// </summary>
public sealed class PortalHostWithViewer : IAsyncLifetime
{
    public PortalPageHost Host { get; } = new();

    public async Task InitializeAsync()
    {
        await Host.InitializeAsync();
        await Host.Wharf.CreateUserAsync("viewer", PortalPageHost.Password);
    }

    public Task DisposeAsync() => Host.DisposeAsync();
}
