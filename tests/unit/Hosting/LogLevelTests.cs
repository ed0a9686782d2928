using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Events;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

/// <summary>distribution's log.level (REGISTRY_LOG_LEVEL) sets Wharf's level, over appsettings.json's default.</summary>
public sealed class LogLevelTests
{
    [Theory]
    [InlineData("debug", LogLevel.Debug, true)]
    [InlineData("info", LogLevel.Debug, false)]
    [InlineData("warn", LogLevel.Information, false)]
    [InlineData("error", LogLevel.Warning, false)]
    public async Task Log_level_setting_decides_what_is_logged(string setting, LogLevel probe, bool enabled)
    {
        var host = new RegistryTestHost { Settings = ["--registry:log:level=" + setting] };
        await host.InitializeAsync();
        try
        {
            var logger = host.Services.GetRequiredService<ILogger<LoggingEventSink>>();
            Assert.Equal(enabled, logger.IsEnabled(probe));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
