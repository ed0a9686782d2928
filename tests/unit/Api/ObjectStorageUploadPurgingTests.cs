using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Maintenance;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;
using Wharf.Tests.Unit.Storage;
using Wharf.Tests.Unit.Storage.Emulators;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// Upload purging on object stores: an abandoned session's staged parts (S3) or blocks (Azure) are removed through
/// the storage upload, and a cancelled one's at once.
/// </summary>
public abstract class ObjectStorageUploadPurgingTests
{
    protected abstract Task<string[]> StorageArgumentsAsync();

    [Fact]
    public async Task Abandoned_and_cancelled_sessions_leave_nothing_staged_in_the_store()
    {
        var host = new RegistryTestHost { StorageSettings = await StorageArgumentsAsync() };
        await host.InitializeAsync();
        try
        {
            using var client = host.CreateClient();
            var storage = host.Services.GetRequiredService<IBlobStorage>();
            var failed = await client.StartUploadAsync("team/purge");
            using (var patch = await client.PatchAsync(failed, Bytes(TestContent.RandomBytes(6 << 20, 7)))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            using (var outOfOrder = await client.PatchAsync(failed, Ranged(TestContent.RandomBytes(10, 8), 1)))
                await AssertErrorAsync(outOfOrder, HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
            var cancelled = await client.StartUploadAsync("team/purge");
            using (var patch = await client.PatchAsync(cancelled, Bytes(TestContent.RandomBytes(100_000, 9)))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            using (var cancel = await client.DeleteAsync(cancelled)) Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
            Assert.Empty(await StagedAsync(storage, cancelled));

            Assert.NotEmpty(await StagedAsync(storage, failed));
            var purger = host.Services.GetRequiredService<UploadPurger>();
            Assert.Equal(1, await purger.PurgeAsync(DateTime.UtcNow.AddMinutes(31), dryRun: false, CancellationToken.None));
            Assert.Empty(await StagedAsync(storage, failed));
            await using var scope = host.Services.CreateAsyncScope();
            Assert.False(await scope.ServiceProvider.GetRequiredService<RegistryDbContext>().UploadSessions.AnyAsync());
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyList<StorageObject>> StagedAsync(IBlobStorage storage, string location)
    {
        var id = Guid.Parse(location.Split('?')[0].TrimEnd('/').Split('/')[^1]);
        return (await storage.ListAsync(StorageLayout.UploadDirectory(id) + "/", null, 100, CancellationToken.None)).Objects;
    }

    private static ByteArrayContent Ranged(byte[] content, long start)
    {
        var body = Bytes(content);
        body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + content.Length - 1}");
        return body;
    }
}

public sealed class S3UploadPurgingTests : ObjectStorageUploadPurgingTests
{
    protected override async Task<string[]> StorageArgumentsAsync() => StorageSettingsArguments.For(await LocalS3.OptionsAsync());
}

public sealed class AzureUploadPurgingTests : ObjectStorageUploadPurgingTests
{
    protected override async Task<string[]> StorageArgumentsAsync() => StorageSettingsArguments.For(await LocalAzure.OptionsAsync());
}
