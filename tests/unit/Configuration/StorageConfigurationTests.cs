using Microsoft.Extensions.Configuration;
using Wharf.Portal.Hosting;
using Wharf.Registry.Configuration;
using Xunit;

namespace Wharf.Tests.Unit.Configuration;

/// <summary>distribution's storage section: S3 and Azure keys, their REGISTRY_STORAGE_* overrides, and exactly one back end.</summary>
public sealed class StorageConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string yaml)
    {
        var path = _dir.Combine($"config-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private RegistryOptions Bind(string yaml, Dictionary<string, string>? environment = null)
    {
        var builder = new ConfigurationBuilder().Add(new DistributionYamlConfigurationSource(Write(yaml)));
        if (environment is not null) builder.Add(new DistributionEnvironmentConfigurationSource(environment));
        return RegistryConfiguration.Bind(builder.Build());
    }

    private const string S3Yaml = """
        version: 0.1
        storage:
          s3:
            accesskey: AKIAEXAMPLE
            secretkey: secret/example
            region: eu-west-1
            regionendpoint: http://minio.local:9000
            forcepathstyle: true
            bucket: images
            rootdirectory: /registry
            secure: false
            chunksize: 20971520
            encrypt: true
            keyid: arn:aws:kms:eu-west-1:1:key/abc
            storageclass: REDUCED_REDUNDANCY
          redirect:
            disable: true
        """;

    [Fact]
    public void S3_keys_are_bound_as_distribution_names_them()
    {
        var storage = Bind(S3Yaml).Storage;
        Assert.Equal(StorageBackend.S3, storage.Backend);
        var s3 = storage.S3;
        Assert.Equal(("AKIAEXAMPLE", "secret/example", "eu-west-1", "http://minio.local:9000"), (s3.AccessKey, s3.SecretKey, s3.Region, s3.RegionEndpoint));
        Assert.Equal((true, "images", "/registry", false, 20971520L), (s3.ForcePathStyle, s3.Bucket, s3.RootDirectory, s3.Secure, s3.ChunkSize));
        Assert.Equal((true, "arn:aws:kms:eu-west-1:1:key/abc", "REDUCED_REDUNDANCY"), (s3.Encrypt, s3.KeyId, s3.StorageClass));
        Assert.True(storage.RedirectDisabled);
    }

    [Fact]
    public void S3_environment_overrides_win_over_the_file()
    {
        var storage = Bind(S3Yaml, new Dictionary<string, string>
        {
            ["REGISTRY_STORAGE_S3_BUCKET"] = "other-bucket",
            ["REGISTRY_STORAGE_S3_SECURE"] = "true",
            ["REGISTRY_STORAGE_S3_CHUNKSIZE"] = "5242880",
            ["REGISTRY_STORAGE_REDIRECT_DISABLE"] = "false",
        }).Storage;
        Assert.Equal(("other-bucket", true, 5242880L), (storage.S3.Bucket, storage.S3.Secure, storage.S3.ChunkSize));
        Assert.False(storage.RedirectDisabled);
    }

    [Fact]
    public void S3_can_be_configured_from_the_environment_alone()
    {
        var storage = Bind("version: 0.1\n", new Dictionary<string, string>
        {
            ["REGISTRY_STORAGE_S3_REGION"] = "us-east-1",
            ["REGISTRY_STORAGE_S3_BUCKET"] = "b",
        }).Storage;
        Assert.Equal((StorageBackend.S3, "b", true), (storage.Backend, storage.S3.Bucket, storage.S3.Secure));
        Assert.Equal(10L << 20, storage.S3.ChunkSize);
    }

    [Fact]
    public void Azure_keys_and_overrides_are_bound()
    {
        var storage = Bind("""
            storage:
              azure:
                accountname: acct
                accountkey: a2V5
                container: registry
                rootdirectory: /wharf
                realm: core.chinacloudapi.cn
            """, new Dictionary<string, string> { ["REGISTRY_STORAGE_AZURE_CONTAINER"] = "images" }).Storage;
        Assert.Equal(StorageBackend.Azure, storage.Backend);
        var azure = storage.Azure;
        Assert.Equal(("acct", "a2V5", "images", "/wharf"), (azure.AccountName, azure.AccountKey, azure.Container, azure.RootDirectory));
        Assert.Equal(new Uri("https://acct.blob.core.chinacloudapi.cn"), azure.ServiceUri);
        Assert.False(storage.RedirectDisabled);

        var local = Bind("""
            storage:
              azure: { accountname: devstoreaccount1, accountkey: a2V5, container: c, serviceurl: "http://127.0.0.1:10000/devstoreaccount1" }
            """).Storage.Azure;
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), local.ServiceUri);
    }

    [Fact]
    public void No_storage_section_is_the_local_filesystem() =>
        Assert.Equal(StorageBackend.FileSystem, Bind("version: 0.1\n").Storage.Backend);

    [Theory]
    [InlineData("gcs:\n    bucket: b", "gcs")]
    [InlineData("swift:\n    container: c", "swift")]
    [InlineData("oss:\n    bucket: b", "oss")]
    [InlineData("inmemory:", "inmemory")]
    public void A_driver_Wharf_does_not_have_is_refused(string section, string name)
    {
        var e = Assert.Throws<InvalidDataException>(() => Bind($"storage:\n  {section}\n"));
        Assert.Contains($"no '{name}' storage driver", e.Message);
    }

    [Fact]
    public void Two_back_ends_are_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => Bind("""
            storage:
              filesystem: { rootdirectory: /var/lib/registry }
              s3: { region: us-east-1, bucket: b }
            """));
        Assert.Contains("more than one storage back end", e.Message);
        Assert.Contains("filesystem", e.Message);
        Assert.Contains("s3", e.Message);

        // The file says filesystem, the environment adds S3 settings: still two.
        Assert.Throws<InvalidDataException>(() => Bind("storage:\n  filesystem: { rootdirectory: /data }\n",
            new Dictionary<string, string> { ["REGISTRY_STORAGE_S3_BUCKET"] = "b" }));
    }

    [Fact]
    public void REGISTRY_STORAGE_names_the_back_end_as_in_distribution()
    {
        var storage = Bind("storage:\n  filesystem: { rootdirectory: /data }\n", new Dictionary<string, string>
        {
            ["REGISTRY_STORAGE"] = "s3",
            ["REGISTRY_STORAGE_S3_REGION"] = "us-east-1",
            ["REGISTRY_STORAGE_S3_BUCKET"] = "b",
        }).Storage;
        Assert.Equal(StorageBackend.S3, storage.Backend);
        Assert.Throws<InvalidDataException>(() => Bind("version: 0.1\n", new Dictionary<string, string> { ["REGISTRY_STORAGE"] = "gcs" }));
    }

    [Theory]
    [InlineData("s3: { region: us-east-1 }", "storage.s3.bucket is required")]
    [InlineData("s3: { bucket: b }", "storage.s3.region is required")]
    [InlineData("s3: { region: r, bucket: b, chunksize: 1048576 }", "storage.s3.chunksize must be at least")]
    [InlineData("s3: { region: r, bucket: b, accesskey: k }", "go together")]
    [InlineData("s3: { region: r, bucket: b, objectacl: public-read }", "objectacl")]
    [InlineData("s3: { region: r, bucket: b, secure: maybe }", "storage.s3.secure")]
    [InlineData("s3: { region: r, bucket: b, storageclass: DEEP_ARCHIVE }", "storageclass")]
    [InlineData("azure: { accountname: a, container: c }", "storage.azure.accountkey is required")]
    [InlineData("azure: { accountname: a, accountkey: 'not base64!', container: c }", "not a base64 account key")]
    [InlineData("azure: { accountname: a, accountkey: a2V5 }", "storage.azure.container is required")]
    public void Settings_a_back_end_cannot_work_with_are_refused(string section, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Bind($"storage:\n  {section}\n"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task Wharf_refuses_to_start_on_storage_it_cannot_honour_and_says_why()
    {
        var error = new StringWriter();
        var gcs = await WharfCommandLine.RunAsync(["serve", Write("version: 0.1\nstorage:\n  gcs:\n    bucket: b\n")], error);
        var both = await WharfCommandLine.RunAsync(["serve", Write($"version: 0.1\nstorage:\n  filesystem: {{ rootdirectory: {_dir.Path} }}\n  s3: {{ region: r, bucket: b }}\n")], error);
        Assert.NotEqual(0, gcs);
        Assert.NotEqual(0, both);
        Assert.Contains("storage.gcs.bucket: this storage driver is not available in Wharf", error.ToString());
        Assert.Contains("more than one storage back end", error.ToString());
    }
}
