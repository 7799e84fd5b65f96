/*
 * The AppImage runtime of simfinder's AppImage: the ELF program that an AppImage (type 2)
 * starts with, followed by a SquashFS image of the AppDir.
 *
 * Built by packaging/build-linux.sh from Debian's packages only (squashfuse's libraries,
 * libfuse3, the zstd, xz, lz4 and zlib decompressors), statically linked, so the AppImage needs
 * nothing but the kernel's FUSE (and fusermount3 when not run as root). It does what the
 * AppImage specification asks of a type-2 runtime:
 *
 *   ./simfinder.AppImage [ARGS]          mount the image read-only with FUSE in a temporary
 *                                        folder, run its AppRun with ARGS (APPIMAGE, APPDIR,
 *                                        OWD and ARGV0 set), unmount when it exits; where FUSE
 *                                        is unavailable, unpack to a temporary folder instead
 *   --appimage-extract [PATH]            unpack into ./squashfs-root (only PATH if given)
 *   --appimage-extract-and-run [ARGS]    unpack to a temporary folder, run, delete it
 *                                        (also: APPIMAGE_EXTRACT_AND_RUN=1)
 *   --appimage-mount                     mount, print the mount point, serve until killed
 *   --appimage-offset                    print where the SquashFS image starts
 *   --appimage-help                      this list
 *
 * The image starts right after the ELF file, whose end is its section header table.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <squashfuse/ll.h>
#include <squashfuse/traverse.h>

/* Type-2 AppImage magic in the ELF identification padding: 'A' 'I' 0x02 at offset 8. */

/* squashfuse can read LZO-compressed images through liblzo2, which is GPL-2.0. Our images are
   zstd (build-linux.sh), so the runtime does without it: this stands in for liblzo2's
   decompressor and fails (LZO_E_ERROR), which squashfuse reports as a read error. */
int lzo1x_decompress_safe(const unsigned char *src, unsigned long src_len, unsigned char *dst,
                          unsigned long *dst_len, void *wrkmem);
int lzo1x_decompress_safe(const unsigned char *src, unsigned long src_len, unsigned char *dst,
                          unsigned long *dst_len, void *wrkmem) {
    (void)src, (void)src_len, (void)dst, (void)dst_len, (void)wrkmem;
    return -1;
}

static const char *progname = "AppImage";

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", progname, what);
    exit(1);
}

static off_t elf_size(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf64_Ehdr eh;
    ssize_t n = pread(fd, &eh, sizeof eh, 0);
    close(fd);
    if (n != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64)
        return -1;
    return (off_t)(eh.e_shoff + (uint64_t)eh.e_shentsize * eh.e_shnum);
}

/* ---------------------------------------------------------------- extraction */

static int write_file(sqfs *fs, sqfs_inode *inode, const char *dest, mode_t mode) {
    int out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return -1;
    static char buf[1 << 20];
    uint64_t size = inode->xtra.reg.file_size;
    for (uint64_t pos = 0; pos < size;) {
        sqfs_off_t want = (sqfs_off_t)(size - pos < sizeof buf ? size - pos : sizeof buf);
        if (sqfs_read_range(fs, inode, (sqfs_off_t)pos, &want, buf) != SQFS_OK || want <= 0) {
            close(out);
            return -1;
        }
        for (char *p = buf; p < buf + want;) {
            ssize_t w = write(out, p, (size_t)(buf + want - p));
            if (w < 0) {
                close(out);
                return -1;
            }
            p += w;
        }
        pos += (uint64_t)want;
    }
    fchmod(out, mode);
    return close(out);
}

/* Unpack the image into `dest` (only `only` and what is under it, if given). */
static int extract(const char *image, off_t offset, const char *dest, const char *only) {
    sqfs fs;
    if (sqfs_open_image(&fs, image, (size_t)offset) != SQFS_OK)
        return -1;
    sqfs_traverse trv;
    if (sqfs_traverse_open(&trv, &fs, sqfs_inode_root(&fs)) != SQFS_OK)
        return -1;
    if (mkdir(dest, 0755) < 0 && errno != EEXIST)
        return -1;
    sqfs_err err = SQFS_OK;
    int failed = 0;
    size_t only_len = only ? strlen(only) : 0;
    while (sqfs_traverse_next(&trv, &err)) {
        if (trv.dir_end)
            continue;
        if (only && !(strncmp(trv.path, only, only_len) == 0 &&
                      (trv.path[only_len] == '\0' || trv.path[only_len] == '/')) &&
            !(strncmp(only, trv.path, strlen(trv.path)) == 0 && only[strlen(trv.path)] == '/'))
            continue;
        char target[PATH_MAX];
        if (snprintf(target, sizeof target, "%s/%s", dest, trv.path) >= (int)sizeof target) {
            failed = 1;
            continue;
        }
        sqfs_inode inode;
        if (sqfs_inode_get(&fs, &inode, trv.entry.inode) != SQFS_OK) {
            failed = 1;
            continue;
        }
        mode_t mode = inode.base.mode & 07777;
        switch (inode.base.inode_type) {
        case SQUASHFS_DIR_TYPE:
        case SQUASHFS_LDIR_TYPE:
            if (mkdir(target, mode | 0700) < 0 && errno != EEXIST)
                failed = 1;
            break;
        case SQUASHFS_REG_TYPE:
        case SQUASHFS_LREG_TYPE:
            unlink(target);
            if (write_file(&fs, &inode, target, mode) < 0)
                failed = 1;
            break;
        case SQUASHFS_SYMLINK_TYPE:
        case SQUASHFS_LSYMLINK_TYPE: {
            char link[PATH_MAX];
            size_t size = sizeof link;
            unlink(target);
            if (sqfs_readlink(&fs, &inode, link, &size) != SQFS_OK || symlink(link, target) < 0)
                failed = 1;
            break;
        }
        default: /* devices, FIFOs and sockets have no place in an AppDir */
            break;
        }
        if (failed) {
            fprintf(stderr, "%s: could not unpack %s: %s\n", progname, trv.path,
                    strerror(errno));
            break;
        }
    }
    sqfs_traverse_close(&trv);
    sqfs_destroy(&fs);
    return failed || err != SQFS_OK ? -1 : 0;
}

/* ---------------------------------------------------------------- running AppRun */

static pid_t app_pid = 0;

static void forward_signal(int sig) {
    if (app_pid > 0)
        kill(app_pid, sig);
}

static void set_environment(const char *image, const char *appdir, const char *argv0) {
    char cwd[PATH_MAX];
    setenv("APPIMAGE", image, 1);
    setenv("APPDIR", appdir, 1);
    setenv("ARGV0", argv0, 1);
    if (getcwd(cwd, sizeof cwd))
        setenv("OWD", cwd, 1);
}

/* Run APPDIR/AppRun with the arguments in a child; its exit status. */
static int run_app(const char *appdir, char **args) {
    char apprun[PATH_MAX];
    snprintf(apprun, sizeof apprun, "%s/AppRun", appdir);
    struct sigaction sa = {0};
    sa.sa_handler = forward_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL); /* the app gets Ctrl+C from the terminal itself as well */
    app_pid = fork();
    if (app_pid < 0)
        die("cannot start the application");
    if (app_pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        args[0] = apprun;
        execv(apprun, args);
        fprintf(stderr, "%s: cannot run %s: %s\n", progname, apprun, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(app_pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int extract_and_run(const char *image, off_t offset, const char *argv0, char **args) {
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/appimage_extracted_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        die("cannot make a temporary folder to unpack into");
    if (extract(image, offset, dir, NULL) < 0) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        die("cannot unpack the AppImage");
    }
    set_environment(image, dir, argv0);
    int code = run_app(dir, args);
    if (!getenv("NO_CLEANUP"))
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return code;
}

/* ---------------------------------------------------------------- FUSE */

static struct fuse_lowlevel_ops fuse_ops(void) {
    struct fuse_lowlevel_ops ops;
    memset(&ops, 0, sizeof ops);
    ops.getattr = sqfs_ll_op_getattr;
    ops.opendir = sqfs_ll_op_opendir;
    ops.releasedir = sqfs_ll_op_releasedir;
    ops.readdir = sqfs_ll_op_readdir;
    ops.lookup = sqfs_ll_op_lookup;
    ops.open = sqfs_ll_op_open;
    ops.create = sqfs_ll_op_create;
    ops.release = sqfs_ll_op_release;
    ops.read = sqfs_ll_op_read;
    ops.readlink = sqfs_ll_op_readlink;
    ops.listxattr = sqfs_ll_op_listxattr;
    ops.getxattr = sqfs_ll_op_getxattr;
    ops.forget = sqfs_ll_op_forget;
    ops.statfs = stfs_ll_op_statfs;
    return ops;
}

static void *serve(void *session) {
    fuse_session_loop((struct fuse_session *)session);
    return NULL;
}

/* Mount the image read-only at a new temporary folder; 0 on success. */
static int mount_image(const char *image, off_t offset, char *mountpoint, size_t size,
                       sqfs_ll_chan *chan) {
    const char *tmp = getenv("TMPDIR");
    snprintf(mountpoint, size, "%s/.mount_%.8sXXXXXX", tmp && *tmp ? tmp : "/tmp", progname);
    if (!mkdtemp(mountpoint))
        return -1;
    sqfs_ll *ll = sqfs_ll_open(image, (size_t)offset);
    if (!ll) {
        rmdir(mountpoint);
        return -1;
    }
    char *fuse_argv[] = {(char *)progname, "-o", "ro,nodev,nosuid", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
    struct fuse_lowlevel_ops ops = fuse_ops();
    int quiet = open("/dev/null", O_WRONLY), saved = dup(2);
    dup2(quiet, 2); /* libfuse's own complaints: we say it in our words below */
    sqfs_err err = sqfs_ll_mount(chan, mountpoint, &args, &ops, sizeof ops, ll);
    dup2(saved, 2);
    close(quiet);
    close(saved);
    if (err != SQFS_OK) {
        rmdir(mountpoint);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    char image[PATH_MAX];
    if (!realpath("/proc/self/exe", image))
        die("cannot find out where this AppImage is");
    const char *base = strrchr(image, '/');
    static char name[64];
    snprintf(name, sizeof name, "%.63s", base ? base + 1 : image);
    progname = name;
    off_t offset = elf_size(image);
    if (offset <= 0)
        die("this file is not a valid AppImage");

    const char *opt = argc > 1 && strncmp(argv[1], "--appimage-", 11) == 0 ? argv[1] : NULL;
    if (opt && strcmp(opt, "--appimage-offset") == 0) {
        printf("%lld\n", (long long)offset);
        return 0;
    }
    if (opt && strcmp(opt, "--appimage-help") == 0) {
        printf("Options of this AppImage (anything else goes to the application):\n"
               "  --appimage-extract [PATH]          unpack into ./squashfs-root\n"
               "  --appimage-extract-and-run [ARGS]  unpack to a temporary folder and run\n"
               "  --appimage-mount                   mount and print the mount point\n"
               "  --appimage-offset                  print where the SquashFS image starts\n");
        return 0;
    }
    if (opt && strcmp(opt, "--appimage-extract") == 0) {
        if (extract(image, offset, "squashfs-root", argc > 2 ? argv[2] : NULL) < 0)
            die("cannot unpack the AppImage");
        printf("squashfs-root\n");
        return 0;
    }
    if (opt && strcmp(opt, "--appimage-extract-and-run") == 0)
        return extract_and_run(image, offset, argv[0], argv + 1);
    if (opt && strcmp(opt, "--appimage-mount") != 0) {
        fprintf(stderr, "%s: unknown option %s (see --appimage-help)\n", progname, opt);
        return 2;
    }
    if (!opt && getenv("APPIMAGE_EXTRACT_AND_RUN"))
        return extract_and_run(image, offset, argv[0], argv);

    char mountpoint[PATH_MAX];
    sqfs_ll_chan chan;
    if (mount_image(image, offset, mountpoint, sizeof mountpoint, &chan) < 0) {
        if (opt)
            die("cannot mount the AppImage with FUSE (is FUSE available?)");
        fprintf(stderr, "%s: FUSE is not available here; unpacking to a temporary folder "
                        "instead (slower to start).\n", progname);
        return extract_and_run(image, offset, argv[0], argv);
    }
    if (opt) { /* --appimage-mount */
        printf("%s\n", mountpoint);
        fflush(stdout);
        fuse_set_signal_handlers(chan.session); /* SIGTERM/SIGINT end the loop: unmount */
        fuse_session_loop(chan.session);
        fuse_remove_signal_handlers(chan.session);
        sqfs_ll_unmount(&chan, mountpoint);
        rmdir(mountpoint);
        return 0;
    }
    pthread_t server;
    if (pthread_create(&server, NULL, serve, chan.session) != 0)
        die("cannot serve the mounted image");
    set_environment(image, mountpoint, argv[0]);
    int code = run_app(mountpoint, argv);
    fuse_session_exit(chan.session);
    sqfs_ll_unmount(&chan, mountpoint);
    pthread_join(server, NULL);
    rmdir(mountpoint);
    return code;
}
