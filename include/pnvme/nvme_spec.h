/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NVMe specification structures: controller registers, submission and
 * completion queue entries, status codes, opcodes and Identify data.
 *
 * Layouts follow the NVM Express Base Specification 2.0 (little-endian
 * hosts only). Every structure carries a size assertion so a mistake in a
 * field fails the build rather than a device.
 */
#ifndef PNVME_NVME_SPEC_H
#define PNVME_NVME_SPEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Controller registers (BAR0 for PCIe, properties for fabrics)        */
/* ------------------------------------------------------------------ */

/** Register offsets. */
enum pnvme_reg_offset {
	PNVME_REG_CAP = 0x00,   /**< Controller Capabilities (8 bytes) */
	PNVME_REG_VS = 0x08,    /**< Version */
	PNVME_REG_INTMS = 0x0c, /**< Interrupt Mask Set */
	PNVME_REG_INTMC = 0x10, /**< Interrupt Mask Clear */
	PNVME_REG_CC = 0x14,    /**< Controller Configuration */
	PNVME_REG_CSTS = 0x1c,  /**< Controller Status */
	PNVME_REG_NSSR = 0x20,  /**< NVM Subsystem Reset */
	PNVME_REG_AQA = 0x24,   /**< Admin Queue Attributes */
	PNVME_REG_ASQ = 0x28,   /**< Admin SQ Base Address (8 bytes) */
	PNVME_REG_ACQ = 0x30,   /**< Admin CQ Base Address (8 bytes) */
	PNVME_REG_CMBLOC = 0x38,
	PNVME_REG_CMBSZ = 0x3c,
	PNVME_REG_DOORBELL_BASE = 0x1000, /**< First doorbell (PCIe) */
};

/** CAP: Controller Capabilities. */
union pnvme_cap_register {
	uint64_t raw; /**< the whole register */
	struct {
		uint64_t mqes : 16;   /**< max queue entries, 0-based */
		uint64_t cqr : 1;     /**< contiguous queues required */
		uint64_t ams : 2;     /**< arbitration mechanisms */
		uint64_t rsvd1 : 5; /**< reserved */
		uint64_t to : 8;      /**< ready timeout, 500 ms units */
		uint64_t dstrd : 4;   /**< doorbell stride: 4 << dstrd bytes */
		uint64_t nssrs : 1;   /**< NVM subsystem reset supported */
		uint64_t css : 8;     /**< command sets supported */
		uint64_t bps : 1;     /**< boot partition support */
		uint64_t cps : 2;     /**< controller power scope */
		uint64_t mpsmin : 4;  /**< min page size: 2^(12+mpsmin) */
		uint64_t mpsmax : 4;  /**< max page size: 2^(12+mpsmax) */
		uint64_t pmrs : 1; /**< persistent memory region supported */
		uint64_t cmbs : 1; /**< controller memory buffer supported */
		uint64_t nsss : 1; /**< NVM subsystem shutdown supported */
		uint64_t crms : 2; /**< controller ready modes supported: bit 0 with media, bit 1 independent of media */
		uint64_t rsvd2 : 3; /**< reserved */
	} bits; /**< its fields */
};
_Static_assert(sizeof(union pnvme_cap_register) == 8, "CAP size");

/* CAP.CSS bits. */
#define PNVME_CAP_CSS_NVM (1u << 0) /**< CAP.CSS: NVM command set supported */
#define PNVME_CAP_CSS_IOCS (1u << 6) /**< CAP.CSS: one or more I/O command sets supported */
#define PNVME_CAP_CSS_NOIO (1u << 7) /**< CAP.CSS: no I/O command set supported (admin only) */

/** VS: Version. */
union pnvme_vs_register {
	uint32_t raw; /**< the whole register */
	struct {
		uint32_t ter : 8; /**< tertiary */
		uint32_t mnr : 8; /**< minor */
		uint32_t mjr : 16; /**< major */
	} bits; /**< its fields */
};
_Static_assert(sizeof(union pnvme_vs_register) == 4, "VS size");

/** Build a VS value for comparisons. */
#define PNVME_VERSION(mjr, mnr, ter) \
	(((uint32_t)(mjr) << 16) | ((uint32_t)(mnr) << 8) | (uint32_t)(ter))

/** CC: Controller Configuration. */
union pnvme_cc_register {
	uint32_t raw; /**< the whole register */
	struct {
		uint32_t en : 1; /**< enable: 1 starts the controller, 0 resets it */
		uint32_t rsvd1 : 3; /**< reserved */
		uint32_t css : 3;   /**< I/O command set selected */
		uint32_t mps : 4;   /**< memory page size: 2^(12+mps) */
		uint32_t ams : 3; /**< arbitration mechanism selected (0: round robin) */
		uint32_t shn : 2;   /**< shutdown notification */
		uint32_t iosqes : 4; /**< I/O SQ entry size: 2^n */
		uint32_t iocqes : 4; /**< I/O CQ entry size: 2^n */
		uint32_t crime : 1; /**< controller ready independent of media enable */
		uint32_t rsvd2 : 7; /**< reserved */
	} bits; /**< its fields */
};
_Static_assert(sizeof(union pnvme_cc_register) == 4, "CC size");

/** CC.SHN values. */
enum pnvme_shn_value {
	PNVME_SHN_NONE = 0,
	PNVME_SHN_NORMAL = 1,
	PNVME_SHN_ABRUPT = 2,
};

/** CSTS: Controller Status. */
union pnvme_csts_register {
	uint32_t raw; /**< the whole register */
	struct {
		uint32_t rdy : 1; /**< ready to process commands */
		uint32_t cfs : 1;   /**< controller fatal status */
		uint32_t shst : 2;  /**< shutdown status */
		uint32_t nssro : 1; /**< NVM subsystem reset occurred */
		uint32_t pp : 1; /**< processing paused */
		uint32_t st : 1; /**< shutdown type: 0 controller, 1 NVM subsystem */
		uint32_t rsvd : 25; /**< reserved */
	} bits; /**< its fields */
};
_Static_assert(sizeof(union pnvme_csts_register) == 4, "CSTS size");

/** CSTS.SHST values. */
enum pnvme_shst_value {
	PNVME_SHST_NORMAL = 0,
	PNVME_SHST_OCCURRING = 1,
	PNVME_SHST_COMPLETE = 2,
};

/** AQA: Admin Queue Attributes. */
union pnvme_aqa_register {
	uint32_t raw; /**< the whole register */
	struct {
		uint32_t asqs : 12; /**< admin SQ size, 0-based */
		uint32_t rsvd1 : 4; /**< reserved */
		uint32_t acqs : 12; /**< admin CQ size, 0-based */
		uint32_t rsvd2 : 4; /**< reserved */
	} bits; /**< its fields */
};
_Static_assert(sizeof(union pnvme_aqa_register) == 4, "AQA size");

/* ------------------------------------------------------------------ */
/* Queue entries                                                       */
/* ------------------------------------------------------------------ */

/** Scatter Gather List descriptor. */
struct pnvme_sgl_descriptor {
	uint64_t address; /**< address of the data block or segment (an offset with PNVME_SGL_SUBTYPE_OFFSET) */
	uint32_t length; /**< length in bytes */
	uint8_t reserved[3]; /**< reserved */
	uint8_t subtype : 4; /**< descriptor subtype (enum pnvme_sgl_subtype) */
	uint8_t type : 4; /**< descriptor type (enum pnvme_sgl_type) */
};
_Static_assert(sizeof(struct pnvme_sgl_descriptor) == 16, "SGL size");

/**
 * Keyed SGL Data Block descriptor (NVMe over RDMA): memory of the host that
 * the controller reads or writes by remote key. Length is 24 bits and the
 * key sits unaligned, hence bytes.
 */
struct pnvme_sgl_keyed_descriptor {
	uint64_t address; /**< address in the host's registered memory */
	uint8_t length[3]; /**< little-endian, below 2^24 */
	uint8_t key[4];    /**< little-endian remote key */
	uint8_t subtype : 4; /**< descriptor subtype (enum pnvme_sgl_subtype) */
	uint8_t type : 4; /**< descriptor type: PNVME_SGL_TYPE_KEYED_DATA_BLOCK */
};
_Static_assert(sizeof(struct pnvme_sgl_keyed_descriptor) == 16, "keyed SGL size");

/** SGL descriptor subtypes used with fabrics. */
enum pnvme_sgl_subtype {
	PNVME_SGL_SUBTYPE_ADDRESS = 0x0,
	PNVME_SGL_SUBTYPE_OFFSET = 0x1, /**< address is an offset into the capsule's data */
	PNVME_SGL_SUBTYPE_INVALIDATE_KEY = 0xf,
};

/** SGL descriptor types. */
enum pnvme_sgl_type {
	PNVME_SGL_TYPE_DATA_BLOCK = 0x0,
	PNVME_SGL_TYPE_BIT_BUCKET = 0x1,
	PNVME_SGL_TYPE_SEGMENT = 0x2,
	PNVME_SGL_TYPE_LAST_SEGMENT = 0x3,
	PNVME_SGL_TYPE_KEYED_DATA_BLOCK = 0x4,
	PNVME_SGL_TYPE_TRANSPORT_DATA_BLOCK = 0x5,
};

/** Data pointer transfer type (command dword 0, PSDT). */
enum pnvme_psdt_value {
	PNVME_PSDT_PRP = 0x0,
	PNVME_PSDT_SGL_MPTR_CONTIG = 0x1,
	PNVME_PSDT_SGL_MPTR_SGL = 0x2,
};

/** Fused operation (command dword 0, FUSE). */
enum pnvme_fuse_value {
	PNVME_FUSE_NONE = 0x0,
	PNVME_FUSE_FIRST = 0x1,
	PNVME_FUSE_SECOND = 0x2,
};

/** Submission queue entry (64 bytes). */
struct pnvme_cmd {
	/* dword 0 */
	uint16_t opc : 8;  /**< opcode */
	uint16_t fuse : 2; /**< fused operation */
	uint16_t rsvd1 : 4; /**< reserved */
	uint16_t psdt : 2; /**< PRP or SGL */
	uint16_t cid;      /**< command identifier */
	/* dword 1 */
	uint32_t nsid; /**< namespace identifier (0 when unused, PNVME_NSID_ALL for every namespace) */
	/* dwords 2-3 */
	uint32_t cdw2; /**< command dword 2, command specific */
	uint32_t cdw3; /**< command dword 3, command specific */
	/* dwords 4-5 */
	uint64_t mptr; /**< metadata pointer: separate metadata buffer, or its SGL descriptor */
	/* dwords 6-9 */
	union {
		struct {
			uint64_t prp1; /**< first PRP entry: the data's first page, with an offset */
			uint64_t prp2; /**< second PRP entry: the second page, or the address of a PRP list */
		} prp; /**< physical region page entries (PSDT 0) */
		struct pnvme_sgl_descriptor sgl1; /**< first SGL descriptor (PSDT 1 or 2) */
	} dptr; /**< data pointer */
	/* dwords 10-15 */
	uint32_t cdw10; /**< command dword 10, command specific */
	uint32_t cdw11; /**< command dword 11, command specific */
	uint32_t cdw12; /**< command dword 12, command specific */
	uint32_t cdw13; /**< command dword 13, command specific */
	uint32_t cdw14; /**< command dword 14, command specific */
	uint32_t cdw15; /**< command dword 15, command specific */
};
_Static_assert(sizeof(struct pnvme_cmd) == 64, "SQE size");

/** Completion status field, with the phase tag in bit 0. */
struct pnvme_status {
	uint16_t p : 1;   /**< phase tag */
	uint16_t sc : 8;  /**< status code */
	uint16_t sct : 3; /**< status code type */
	uint16_t crd : 2; /**< command retry delay */
	uint16_t m : 1;   /**< more */
	uint16_t dnr : 1; /**< do not retry */
};
_Static_assert(sizeof(struct pnvme_status) == 2, "status size");

/** Completion queue entry (16 bytes). */
struct pnvme_cpl {
	uint32_t cdw0; /**< command specific */
	uint32_t cdw1; /**< command specific dword 1 (reserved for most commands) */
	uint16_t sqhd; /**< SQ head pointer */
	uint16_t sqid; /**< SQ identifier */
	uint16_t cid;  /**< command identifier */
	union {
		uint16_t status_raw; /**< status field and phase tag as one word */
		struct pnvme_status status; /**< status field and phase tag, decoded */
	};
};
_Static_assert(sizeof(struct pnvme_cpl) == 16, "CQE size");

/** Status code types. */
enum pnvme_status_code_type {
	PNVME_SCT_GENERIC = 0x0,
	PNVME_SCT_COMMAND_SPECIFIC = 0x1,
	PNVME_SCT_MEDIA_ERROR = 0x2,
	PNVME_SCT_PATH = 0x3,
	PNVME_SCT_VENDOR_SPECIFIC = 0x7,
};

/** Generic command status codes. */
enum pnvme_generic_status_code {
	PNVME_SC_SUCCESS = 0x00,
	PNVME_SC_INVALID_OPCODE = 0x01,
	PNVME_SC_INVALID_FIELD = 0x02,
	PNVME_SC_COMMAND_ID_CONFLICT = 0x03,
	PNVME_SC_DATA_TRANSFER_ERROR = 0x04,
	PNVME_SC_ABORTED_POWER_LOSS = 0x05,
	PNVME_SC_INTERNAL_DEVICE_ERROR = 0x06,
	PNVME_SC_ABORTED_BY_REQUEST = 0x07,
	PNVME_SC_ABORTED_SQ_DELETION = 0x08,
	PNVME_SC_ABORTED_FAILED_FUSED = 0x09,
	PNVME_SC_ABORTED_MISSING_FUSED = 0x0a,
	PNVME_SC_INVALID_NAMESPACE_OR_FORMAT = 0x0b,
	PNVME_SC_COMMAND_SEQUENCE_ERROR = 0x0c,
	PNVME_SC_INVALID_SGL_SEG_DESCRIPTOR = 0x0d,
	PNVME_SC_INVALID_NUM_SGL_DESCIRPTORS = 0x0e,
	PNVME_SC_DATA_SGL_LENGTH_INVALID = 0x0f,
	PNVME_SC_METADATA_SGL_LENGTH_INVALID = 0x10,
	PNVME_SC_SGL_DESCRIPTOR_TYPE_INVALID = 0x11,
	PNVME_SC_INVALID_CONTROLLER_MEM_BUF = 0x12,
	PNVME_SC_INVALID_PRP_OFFSET = 0x13,
	PNVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED = 0x14,
	PNVME_SC_OPERATION_DENIED = 0x15,
	PNVME_SC_INVALID_SGL_OFFSET = 0x16,
	PNVME_SC_HOSTID_INCONSISTENT_FORMAT = 0x18,
	PNVME_SC_KEEP_ALIVE_EXPIRED = 0x19,
	PNVME_SC_KEEP_ALIVE_INVALID = 0x1a,
	PNVME_SC_ABORTED_PREEMPT = 0x1b,
	PNVME_SC_SANITIZE_FAILED = 0x1c,
	PNVME_SC_SANITIZE_IN_PROGRESS = 0x1d,
	PNVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID = 0x1e,
	PNVME_SC_COMMAND_INVALID_IN_CMB = 0x1f,
	PNVME_SC_NAMESPACE_IS_WRITE_PROTECTED = 0x20,
	PNVME_SC_COMMAND_INTERRUPTED = 0x21,
	PNVME_SC_TRANSIENT_TRANSPORT_ERROR = 0x22,
	PNVME_SC_LBA_OUT_OF_RANGE = 0x80,
	PNVME_SC_CAPACITY_EXCEEDED = 0x81,
	PNVME_SC_NAMESPACE_NOT_READY = 0x82,
	PNVME_SC_RESERVATION_CONFLICT = 0x83,
	PNVME_SC_FORMAT_IN_PROGRESS = 0x84,
};

/** Command specific status codes (the common ones). */
enum pnvme_command_specific_status_code {
	PNVME_SC_COMPLETION_QUEUE_INVALID = 0x00,
	PNVME_SC_INVALID_QUEUE_IDENTIFIER = 0x01,
	PNVME_SC_INVALID_QUEUE_SIZE = 0x02,
	PNVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED = 0x03,
	PNVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED = 0x05,
	PNVME_SC_INVALID_FIRMWARE_SLOT = 0x06,
	PNVME_SC_INVALID_FIRMWARE_IMAGE = 0x07,
	PNVME_SC_INVALID_INTERRUPT_VECTOR = 0x08,
	PNVME_SC_INVALID_LOG_PAGE = 0x09,
	PNVME_SC_INVALID_FORMAT = 0x0a,
	PNVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET = 0x0b,
	PNVME_SC_INVALID_QUEUE_DELETION = 0x0c,
	PNVME_SC_FEATURE_ID_NOT_SAVEABLE = 0x0d,
	PNVME_SC_FEATURE_NOT_CHANGEABLE = 0x0e,
	PNVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC = 0x0f,
	PNVME_SC_FIRMWARE_REQ_NVM_RESET = 0x10,
	PNVME_SC_FIRMWARE_REQ_RESET = 0x11,
	PNVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION = 0x12,
	PNVME_SC_FIRMWARE_ACTIVATION_PROHIBITED = 0x13,
	PNVME_SC_OVERLAPPING_RANGE = 0x14,
	PNVME_SC_NS_INSUFFICIENT_CAPACITY = 0x15,
	PNVME_SC_NS_ID_UNAVAILABLE = 0x16,
	PNVME_SC_NS_ALREADY_ATTACHED = 0x18,
	PNVME_SC_NS_IS_PRIVATE = 0x19,
	PNVME_SC_NS_NOT_ATTACHED = 0x1a,
	PNVME_SC_THIN_PROVISIONING_NOT_SUPPORTED = 0x1b,
	PNVME_SC_CONTROLLER_LIST_INVALID = 0x1c,
	PNVME_SC_DEVICE_SELF_TEST_IN_PROGRESS = 0x1d,
	PNVME_SC_BOOT_PARTITION_WRITE_PROHIBITED = 0x1e,
	PNVME_SC_INVALID_CONTROLLER_ID = 0x1f,
	PNVME_SC_CONFLICTING_ATTRIBUTES = 0x80,
	PNVME_SC_INVALID_PROTECTION_INFO = 0x81,
	PNVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE = 0x82,
};

/** Media and data integrity errors. */
enum pnvme_media_error_status_code {
	PNVME_SC_WRITE_FAULTS = 0x80,
	PNVME_SC_UNRECOVERED_READ_ERROR = 0x81,
	PNVME_SC_GUARD_CHECK_ERROR = 0x82,
	PNVME_SC_APPLICATION_TAG_CHECK_ERROR = 0x83,
	PNVME_SC_REFERENCE_TAG_CHECK_ERROR = 0x84,
	PNVME_SC_COMPARE_FAILURE = 0x85,
	PNVME_SC_ACCESS_DENIED = 0x86,
	PNVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK = 0x87,
};

/* ------------------------------------------------------------------ */
/* Opcodes                                                             */
/* ------------------------------------------------------------------ */

/** Admin command opcodes. */
enum pnvme_admin_opcode {
	PNVME_OPC_DELETE_IO_SQ = 0x00,
	PNVME_OPC_CREATE_IO_SQ = 0x01,
	PNVME_OPC_GET_LOG_PAGE = 0x02,
	PNVME_OPC_DELETE_IO_CQ = 0x04,
	PNVME_OPC_CREATE_IO_CQ = 0x05,
	PNVME_OPC_IDENTIFY = 0x06,
	PNVME_OPC_ABORT = 0x08,
	PNVME_OPC_SET_FEATURES = 0x09,
	PNVME_OPC_GET_FEATURES = 0x0a,
	PNVME_OPC_ASYNC_EVENT_REQUEST = 0x0c,
	PNVME_OPC_NS_MANAGEMENT = 0x0d,
	PNVME_OPC_FIRMWARE_COMMIT = 0x10,
	PNVME_OPC_FIRMWARE_IMAGE_DOWNLOAD = 0x11,
	PNVME_OPC_DEVICE_SELF_TEST = 0x14,
	PNVME_OPC_NS_ATTACHMENT = 0x15,
	PNVME_OPC_KEEP_ALIVE = 0x18,
	PNVME_OPC_DIRECTIVE_SEND = 0x19,
	PNVME_OPC_DIRECTIVE_RECEIVE = 0x1a,
	PNVME_OPC_VIRTUALIZATION_MANAGEMENT = 0x1c,
	PNVME_OPC_NVME_MI_SEND = 0x1d,
	PNVME_OPC_NVME_MI_RECEIVE = 0x1e,
	PNVME_OPC_DOORBELL_BUFFER_CONFIG = 0x7c,
	PNVME_OPC_FABRIC = 0x7f,
	PNVME_OPC_FORMAT_NVM = 0x80,
	PNVME_OPC_SECURITY_SEND = 0x81,
	PNVME_OPC_SECURITY_RECEIVE = 0x82,
	PNVME_OPC_SANITIZE = 0x84,
};

/** NVM command set opcodes. */
enum pnvme_nvm_opcode {
	PNVME_OPC_FLUSH = 0x00,
	PNVME_OPC_WRITE = 0x01,
	PNVME_OPC_READ = 0x02,
	PNVME_OPC_WRITE_UNCORRECTABLE = 0x04,
	PNVME_OPC_COMPARE = 0x05,
	PNVME_OPC_WRITE_ZEROES = 0x08,
	PNVME_OPC_DATASET_MANAGEMENT = 0x09,
	PNVME_OPC_VERIFY = 0x0c,
	PNVME_OPC_RESERVATION_REGISTER = 0x0d,
	PNVME_OPC_RESERVATION_REPORT = 0x0e,
	PNVME_OPC_RESERVATION_ACQUIRE = 0x11,
	PNVME_OPC_RESERVATION_RELEASE = 0x15,
	PNVME_OPC_COPY = 0x19,
};

/** Identify CNS values. */
enum pnvme_identify_cns {
	PNVME_IDENTIFY_NS = 0x00,
	PNVME_IDENTIFY_CTRLR = 0x01,
	PNVME_IDENTIFY_ACTIVE_NS_LIST = 0x02,
	PNVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST = 0x03,
	PNVME_IDENTIFY_NS_IOCS = 0x05,
	PNVME_IDENTIFY_CTRLR_IOCS = 0x06,
};

/** Feature identifiers. */
enum pnvme_feature_id {
	PNVME_FEAT_ARBITRATION = 0x01,
	PNVME_FEAT_POWER_MANAGEMENT = 0x02,
	PNVME_FEAT_LBA_RANGE_TYPE = 0x03,
	PNVME_FEAT_TEMPERATURE_THRESHOLD = 0x04,
	PNVME_FEAT_ERROR_RECOVERY = 0x05,
	PNVME_FEAT_VOLATILE_WRITE_CACHE = 0x06,
	PNVME_FEAT_NUMBER_OF_QUEUES = 0x07,
	PNVME_FEAT_INTERRUPT_COALESCING = 0x08,
	PNVME_FEAT_INTERRUPT_VECTOR_CONFIGURATION = 0x09,
	PNVME_FEAT_WRITE_ATOMICITY = 0x0a,
	PNVME_FEAT_ASYNC_EVENT_CONFIGURATION = 0x0b,
	PNVME_FEAT_TIMESTAMP = 0x0e,
	PNVME_FEAT_KEEP_ALIVE_TIMER = 0x0f,
	PNVME_FEAT_HOST_IDENTIFIER = 0x81,
};

/** Log page identifiers. */
enum pnvme_log_page {
	PNVME_LOG_PAGE_ERROR = 0x01,
	PNVME_LOG_PAGE_HEALTH_INFORMATION = 0x02,
	PNVME_LOG_PAGE_FIRMWARE_SLOT = 0x03,
	PNVME_LOG_PAGE_CHANGED_NS_LIST = 0x04,
	PNVME_LOG_PAGE_COMMAND_EFFECTS = 0x05,
	PNVME_LOG_PAGE_DEVICE_SELF_TEST = 0x06,
	PNVME_LOG_PAGE_DISCOVERY = 0x70,
	PNVME_LOG_PAGE_SANITIZE_STATUS = 0x81,
};

/** The namespace ID that means every namespace (controller-wide logs). */
#define PNVME_NSID_ALL 0xffffffffu

/** Get Log Page: the log-specific fields of command dword 10. */
#define PNVME_LOG_PAGE_RAE (1u << 15) /**< Retain Asynchronous Event */

/** Asynchronous Event Configuration (Set Features 0Bh, dword 11). */
#define PNVME_AEC_SMART_MASK 0xffu                /**< SMART/health critical warnings */
#define PNVME_AEC_NS_ATTRIBUTE (1u << 8)          /**< namespace attribute notices */
#define PNVME_AEC_FIRMWARE_ACTIVATION (1u << 9)   /**< firmware activation notices */
#define PNVME_AEC_TELEMETRY_LOG (1u << 10)        /**< telemetry log notices */
#define PNVME_AEC_DISCOVERY_LOG_CHANGE (1u << 31) /**< discovery log page change (fabrics) */

/* Asynchronous Event Information of notices (event type 2). */
#define PNVME_AER_NOTICE_NS_ATTRIBUTE_CHANGED 0x00u /**< notice: namespace attribute changed */
#define PNVME_AER_NOTICE_FIRMWARE_ACTIVATION 0x01u /**< notice: firmware activation starting */
#define PNVME_AER_NOTICE_TELEMETRY_LOG 0x02u /**< notice: telemetry log changed */
#define PNVME_AER_NOTICE_DISCOVERY_LOG_CHANGE 0xf0u /**< notice: discovery log page changed (fabrics) */

/** SMART / Health Information log page (02h), 512 bytes. */
struct pnvme_health_log {
	uint8_t critical_warning; /**< bit 0 spare, 1 temperature, 2 reliability, 3 read-only, 4 volatile backup */
	uint16_t temperature;     /**< composite temperature, kelvin */
	uint8_t available_spare;  /**< percent */
	uint8_t available_spare_threshold; /**< available spare below which a critical warning is raised, percent */
	uint8_t percentage_used; /**< estimate of the endurance used, percent (may exceed 100) */
	uint8_t endurance_group_critical_warning; /**< summary of the endurance groups' critical warnings */
	uint8_t reserved7[25]; /**< reserved */
	uint64_t data_units_read[2]; /**< data read, in thousands of 512-byte units; this and the counters below are 128-bit, low half first */
	uint64_t data_units_written[2]; /**< data written, in thousands of 512-byte units */
	uint64_t host_read_commands[2]; /**< read commands completed */
	uint64_t host_write_commands[2]; /**< write commands completed */
	uint64_t controller_busy_time[2]; /**< time busy with I/O commands, minutes */
	uint64_t power_cycles[2]; /**< power cycles */
	uint64_t power_on_hours[2]; /**< power-on hours */
	uint64_t unsafe_shutdowns[2]; /**< shutdowns without a shutdown notification */
	uint64_t media_errors[2]; /**< unrecovered data integrity errors */
	uint64_t num_error_info_log_entries[2]; /**< Error Information log entries over the controller's life */
	uint32_t warning_temp_time; /**< time above the warning composite temperature threshold, minutes */
	uint32_t critical_temp_time; /**< time above the critical composite temperature threshold, minutes */
	uint16_t temp_sensor[8]; /**< temperature sensors 1-8, kelvin (0: not reported) */
	uint8_t reserved216[296]; /**< reserved */
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_health_log) == 512, "SMART / health log size");
_Static_assert(offsetof(struct pnvme_health_log, data_units_read) == 32, "health log offset");
_Static_assert(offsetof(struct pnvme_health_log, warning_temp_time) == 192, "health log offset");

/** Error Information log entry (log page 01h): 64 bytes each. */
struct pnvme_error_log_entry {
	uint64_t error_count; /**< unique, increasing; 0: an empty entry */
	uint16_t sqid; /**< submission queue of the command (FFFFh: not tied to a command) */
	uint16_t cid; /**< command identifier of the command (FFFFh: not tied to a command) */
	uint16_t status;         /**< bit 0 phase tag, bits 15:1 the status field */
	uint16_t error_location; /**< byte (7:0) and bit (10:8) of the command */
	uint64_t lba; /**< first logical block of the error */
	uint32_t nsid; /**< namespace of the error */
	uint8_t vendor_specific; /**< log page identifier of vendor-specific information (0: none) */
	uint8_t trtype; /**< transport type of the transport-specific information */
	uint8_t reserved30[2]; /**< reserved */
	uint64_t command_specific; /**< command-specific information */
	uint16_t trtype_specific; /**< transport type specific information */
	uint8_t reserved42[22]; /**< reserved */
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_error_log_entry) == 64, "error log entry size");

/** Firmware Slot Information log page (03h), 512 bytes. */
struct pnvme_firmware_slot_log {
	uint8_t afi; /**< bits 2:0 active slot, 6:4 slot activated at the next reset */
	uint8_t reserved1[7]; /**< reserved */
	char frs[7][8]; /**< revision in slot 1-7, ASCII, space padded; zero when empty */
	uint8_t reserved64[448]; /**< reserved */
};
_Static_assert(sizeof(struct pnvme_firmware_slot_log) == 512, "firmware slot log size");

/** Changed Namespace List log page (04h): up to 1024 IDs, zero-terminated;
 * a first entry of FFFFFFFFh means more than 1024 changed. */
struct pnvme_changed_ns_list {
	uint32_t nsid[1024]; /**< changed namespace identifiers, zero after the last */
};
_Static_assert(sizeof(struct pnvme_changed_ns_list) == 4096, "changed namespace list size");

/** Commands Supported and Effects log page (05h), 4096 bytes: one dword
 * per admin and per I/O opcode. */
struct pnvme_cmd_effects_log {
	uint32_t admin[256]; /**< effects of each admin opcode, indexed by opcode (PNVME_CMD_EFFECTS_*) */
	uint32_t io[256]; /**< effects of each I/O opcode, indexed by opcode (PNVME_CMD_EFFECTS_*) */
	uint8_t reserved2048[2048]; /**< reserved */
};
_Static_assert(sizeof(struct pnvme_cmd_effects_log) == 4096, "command effects log size");

/** Commands Supported and Effects entry bits. */
#define PNVME_CMD_EFFECTS_CSUPP (1u << 0) /**< command supported */
#define PNVME_CMD_EFFECTS_LBCC (1u << 1)  /**< logical block content change */
#define PNVME_CMD_EFFECTS_NCC (1u << 2)   /**< namespace capability change */
#define PNVME_CMD_EFFECTS_NIC (1u << 3)   /**< namespace inventory change */
#define PNVME_CMD_EFFECTS_CCC (1u << 4)   /**< controller capability change */
/** Command submission and execution (bits 18:16): 0 none, 1 one per
 * namespace, 2 one per controller. */
#define PNVME_CMD_EFFECTS_CSE_SHIFT 16

/** One Device Self-test result (28 bytes). */
struct pnvme_self_test_result {
	uint8_t status;  /**< bits 3:0 result (0 success, Fh unused entry), 7:4 code */
	uint8_t segment; /**< the failing segment */
	uint8_t valid;   /**< bit 0 NSID, 1 FLBA, 2 SCT, 3 SC valid */
	uint8_t reserved3; /**< reserved */
	uint64_t power_on_hours; /**< power-on hours when the test completed */
	uint32_t nsid; /**< namespace of the failure, when valid says so */
	uint64_t failing_lba; /**< first failing logical block, when valid says so */
	uint8_t sct; /**< status code type of the failure, when valid says so */
	uint8_t sc; /**< status code of the failure, when valid says so */
	uint8_t vendor_specific[2]; /**< vendor specific */
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_self_test_result) == 28, "self-test result size");

/** Device Self-test log page (06h), 564 bytes. */
struct pnvme_self_test_log {
	uint8_t current_operation;  /**< bits 3:0: 0 none, 1 short, 2 extended running */
	uint8_t current_completion; /**< bits 6:0: percent done */
	uint8_t reserved2[2]; /**< reserved */
	struct pnvme_self_test_result result[20]; /**< newest first */
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_self_test_log) == 564, "self-test log size");

/** Controller list (Namespace Attachment data): 4096 bytes. */
struct pnvme_ctrlr_list {
	uint16_t num; /**< identifiers that follow */
	uint16_t ids[2047]; /**< controller identifiers, ascending */
};
_Static_assert(sizeof(struct pnvme_ctrlr_list) == 4096, "controller list size");

/* ------------------------------------------------------------------ */
/* Identify data                                                       */
/* ------------------------------------------------------------------ */

/** Power state descriptor (32 bytes). */
struct pnvme_power_state {
	uint16_t mp; /**< max power, centiwatts */
	uint8_t rsvd1; /**< reserved */
	uint8_t mps : 1; /**< max power scale: 0 centiwatts, 1 units of 0.0001 W */
	uint8_t nops : 1; /**< non-operational state: no I/O commands processed in it */
	uint8_t rsvd2 : 6; /**< reserved */
	uint32_t enlat; /**< entry latency, microseconds */
	uint32_t exlat; /**< exit latency, microseconds */
	uint8_t rrt; /**< relative read throughput (0 is the best) */
	uint8_t rrl; /**< relative read latency (0 is the best) */
	uint8_t rwt; /**< relative write throughput (0 is the best) */
	uint8_t rwl; /**< relative write latency (0 is the best) */
	uint8_t reserved[16]; /**< idle and active power fields, not decoded */
};
_Static_assert(sizeof(struct pnvme_power_state) == 32, "PSD size");

/* OACS bits: optional admin commands supported. */
#define PNVME_OACS_SECURITY (1u << 0) /**< Security Send and Security Receive */
#define PNVME_OACS_FORMAT (1u << 1) /**< Format NVM */
#define PNVME_OACS_FIRMWARE (1u << 2) /**< Firmware Commit and Firmware Image Download */
#define PNVME_OACS_NS_MANAGE (1u << 3) /**< Namespace Management and Namespace Attachment */
#define PNVME_OACS_SELF_TEST (1u << 4) /**< Device Self-test */
#define PNVME_OACS_DIRECTIVES (1u << 5) /**< Directive Send and Directive Receive */
#define PNVME_OACS_NVME_MI (1u << 6) /**< NVMe-MI Send and NVMe-MI Receive */
#define PNVME_OACS_VIRT_MGMT (1u << 7) /**< Virtualization Management */
#define PNVME_OACS_DOORBELL_BUFFER_CONFIG (1u << 8) /**< Doorbell Buffer Config */
#define PNVME_OACS_GET_LBA_STATUS (1u << 9) /**< Get LBA Status */

/* ONCS bits: optional NVM commands supported. */
#define PNVME_ONCS_COMPARE (1u << 0) /**< Compare */
#define PNVME_ONCS_WRITE_UNCORRECTABLE (1u << 1) /**< Write Uncorrectable */
#define PNVME_ONCS_DSM (1u << 2) /**< Dataset Management */
#define PNVME_ONCS_WRITE_ZEROES (1u << 3) /**< Write Zeroes */
#define PNVME_ONCS_SAVE_SELECT_FEATURES (1u << 4) /**< the Save field of Set Features and the Select field of Get Features */
#define PNVME_ONCS_RESERVATIONS (1u << 5) /**< reservations */
#define PNVME_ONCS_TIMESTAMP (1u << 6) /**< the Timestamp feature */
#define PNVME_ONCS_VERIFY (1u << 7) /**< Verify */
#define PNVME_ONCS_COPY (1u << 8) /**< Copy */

/** FUSES bit: compare-and-write fused operation supported. */
#define PNVME_FUSES_COMPARE_AND_WRITE (1u << 0)

/* SGLS.SGL support field (bits 1:0). */
#define PNVME_SGLS_SUPPORTED_MASK 0x3u /**< SGLS: the SGL support field */
#define PNVME_SGLS_SUPPORTED 0x1u /**< SGLS: SGLs supported, any byte alignment */
#define PNVME_SGLS_SUPPORTED_DWORD_ALIGNED 0x2u /**< SGLS: SGLs supported, data dword aligned and in dword granularity */

/** Identify Controller data structure (CNS 01h). */
struct pnvme_ctrlr_data {
	/* bytes 0-255: controller capabilities and features */
	uint16_t vid; /**< PCI vendor ID */
	uint16_t ssvid; /**< PCI subsystem vendor ID */
	int8_t sn[20]; /**< serial number, ASCII, space padded, not terminated */
	int8_t mn[40]; /**< model number, ASCII, space padded, not terminated */
	uint8_t fr[8]; /**< firmware revision, ASCII, space padded, not terminated */
	uint8_t rab; /**< recommended arbitration burst: 2^rab commands */
	uint8_t ieee[3]; /**< IEEE OUI identifier of the vendor */
	uint8_t cmic; /**< controller multi-path I/O and namespace sharing capabilities */
	uint8_t mdts; /**< maximum data transfer size: 2^mdts minimum memory pages (CAP.MPSMIN), 0 no limit */
	uint16_t cntlid; /**< controller ID */
	uint32_t ver; /**< version, in the VS register's format */
	uint32_t rtd3r; /**< RTD3 resume latency, microseconds */
	uint32_t rtd3e; /**< RTD3 entry latency, microseconds */
	uint32_t oaes; /**< optional asynchronous events supported */
	uint32_t ctratt; /**< controller attributes */
	uint16_t rrls; /**< read recovery levels supported */
	uint8_t rsvd102[9]; /**< reserved */
	uint8_t cntrltype; /**< controller type: 1 I/O, 2 discovery, 3 administrative */
	uint8_t fguid[16]; /**< FRU globally unique identifier */
	uint16_t crdt[3]; /**< command retry delay times 1-3, 100 ms units */
	uint8_t rsvd134[106]; /**< reserved */
	uint8_t nvmmi[16]; /**< reserved for the NVMe management interface */
	/* bytes 256-511: admin command set attributes */
	uint16_t oacs; /**< optional admin command support (PNVME_OACS_*) */
	uint8_t acl; /**< abort command limit, 0-based */
	uint8_t aerl; /**< asynchronous event request limit, 0-based */
	uint8_t frmw; /**< firmware updates: bit 0 slot 1 read-only, 3:1 slots, 4 activation without reset */
	uint8_t lpa; /**< log page attributes */
	uint8_t elpe; /**< error log page entries, 0-based */
	uint8_t npss; /**< number of power states supported, 0-based */
	uint8_t avscc; /**< admin vendor specific command configuration */
	uint8_t apsta; /**< autonomous power state transition attributes */
	uint16_t wctemp; /**< warning composite temperature threshold, kelvin */
	uint16_t cctemp; /**< critical composite temperature threshold, kelvin */
	uint16_t mtfa; /**< maximum time for firmware activation, 100 ms units */
	uint32_t hmpre; /**< host memory buffer preferred size, 4 KiB units */
	uint32_t hmmin; /**< host memory buffer minimum size, 4 KiB units */
	uint8_t tnvmcap[16]; /**< total NVM capacity, bytes (128-bit) */
	uint8_t unvmcap[16]; /**< unallocated NVM capacity, bytes (128-bit) */
	uint32_t rpmbs; /**< replay protected memory block support */
	uint16_t edstt; /**< extended device self-test time, minutes */
	uint8_t dsto; /**< device self-test options */
	uint8_t fwug; /**< firmware update granularity, 4 KiB units (0 not reported, FFh no restriction) */
	uint16_t kas; /**< keep alive support: timer granularity in 100 ms units, 0 not supported */
	uint16_t hctma; /**< host controlled thermal management attributes */
	uint16_t mntmt; /**< minimum thermal management temperature, kelvin */
	uint16_t mxtmt; /**< maximum thermal management temperature, kelvin */
	uint32_t sanicap; /**< sanitize capabilities */
	uint32_t hmminds; /**< host memory buffer minimum descriptor entry size, 4 KiB units */
	uint16_t hmmaxd; /**< host memory maximum descriptor entries */
	uint16_t nsetidmax; /**< NVM set identifier maximum */
	uint16_t endgidmax; /**< endurance group identifier maximum */
	uint8_t anatt; /**< ANA transition time, seconds */
	uint8_t anacap; /**< asymmetric namespace access capabilities */
	uint32_t anagrpmax; /**< ANA group identifier maximum */
	uint32_t nanagrpid; /**< number of ANA group identifiers */
	uint32_t pels; /**< persistent event log size, 64 KiB units */
	uint16_t domainid; /**< domain identifier */
	uint8_t rsvd358[10]; /**< reserved */
	uint8_t megcap[16]; /**< maximum endurance group capacity, bytes (128-bit) */
	uint8_t rsvd384[128]; /**< reserved */
	/* bytes 512-767: NVM command set attributes */
	uint8_t sqes; /**< submission queue entry size: bits 3:0 required, 7:4 maximum, 2^n bytes */
	uint8_t cqes; /**< completion queue entry size: bits 3:0 required, 7:4 maximum, 2^n bytes */
	uint16_t maxcmd; /**< maximum outstanding commands per queue (fabrics) */
	uint32_t nn; /**< number of namespaces: the largest namespace ID */
	uint16_t oncs; /**< optional NVM command support (PNVME_ONCS_*) */
	uint16_t fuses; /**< fused operation support (PNVME_FUSES_*) */
	uint8_t fna; /**< format NVM attributes */
	uint8_t vwc; /**< volatile write cache: bit 0 present */
	uint16_t awun; /**< atomic write unit normal, blocks, 0-based */
	uint16_t awupf; /**< atomic write unit power fail, blocks, 0-based */
	uint8_t icsvscc; /**< I/O command set vendor specific command configuration */
	uint8_t nwpc; /**< namespace write protection capabilities */
	uint16_t acwu; /**< atomic compare and write unit, blocks, 0-based */
	uint16_t ocfs; /**< optional copy formats supported */
	uint32_t sgls; /**< SGL support (PNVME_SGLS_*) */
	uint32_t mnan; /**< maximum number of allowed namespaces */
	uint8_t maxdna[16]; /**< maximum domain namespace attachments (128-bit) */
	uint32_t maxcna; /**< maximum I/O controller namespace attachments */
	uint8_t rsvd564[204]; /**< reserved */
	/* bytes 768-1023 */
	char subnqn[256]; /**< NVM subsystem NQN, null terminated */
	uint8_t rsvd1024[768]; /**< reserved */
	/* bytes 1792-2047: fabrics */
	uint32_t ioccsz; /**< I/O queue command capsule supported size, 16-byte units */
	uint32_t iorcsz; /**< I/O queue response capsule supported size, 16-byte units */
	uint16_t icdoff; /**< in-capsule data offset, 16-byte units */
	uint8_t fcatt; /**< fabrics controller attributes: bit 0 static controller model */
	uint8_t msdbd; /**< maximum SGL data block descriptors per command, 0 no limit */
	uint16_t ofcs; /**< optional fabric commands supported */
	uint8_t rsvd1806[242]; /**< reserved */
	/* bytes 2048-3071 */
	struct pnvme_power_state psd[32]; /**< power state descriptors 0-31 */
	/* bytes 3072-4095 */
	uint8_t vs[1024]; /**< vendor specific */
};
_Static_assert(sizeof(struct pnvme_ctrlr_data) == 4096, "Identify Controller size");
_Static_assert(offsetof(struct pnvme_ctrlr_data, oacs) == 256, "oacs offset");
_Static_assert(offsetof(struct pnvme_ctrlr_data, kas) == 320, "kas offset");
_Static_assert(offsetof(struct pnvme_ctrlr_data, sqes) == 512, "sqes offset");
_Static_assert(offsetof(struct pnvme_ctrlr_data, sgls) == 536, "sgls offset");
_Static_assert(offsetof(struct pnvme_ctrlr_data, subnqn) == 768, "subnqn offset");
_Static_assert(offsetof(struct pnvme_ctrlr_data, ioccsz) == 1792, "ioccsz offset");
_Static_assert(offsetof(struct pnvme_ctrlr_data, psd) == 2048, "psd offset");

/** LBA format descriptor. */
struct pnvme_lbaf {
	uint32_t ms : 16;   /**< metadata size in bytes */
	uint32_t lbads : 8; /**< LBA data size: 2^lbads bytes */
	uint32_t rp : 2;    /**< relative performance */
	uint32_t rsvd : 6; /**< reserved */
};
_Static_assert(sizeof(struct pnvme_lbaf) == 4, "LBAF size");

/** Identify Namespace data structure (CNS 00h, NVM command set). */
struct pnvme_ns_data {
	uint64_t nsze; /**< namespace size: total logical blocks */
	uint64_t ncap; /**< namespace capacity: logical blocks that may be allocated */
	uint64_t nuse; /**< namespace utilization: logical blocks allocated */
	uint8_t nsfeat; /**< namespace features (PNVME_NSFEAT_*) */
	uint8_t nlbaf;  /**< number of LBA formats, 0-based */
	uint8_t flbas;  /**< formatted LBA size */
	uint8_t mc; /**< metadata capabilities: bit 0 extended LBAs, bit 1 separate buffer */
	uint8_t dpc; /**< end-to-end data protection capabilities: bits 2:0 types 1-3, 3 PI first, 4 PI last */
	uint8_t dps; /**< end-to-end data protection settings: bits 2:0 type (0 none), bit 3 PI first in the metadata */
	uint8_t nmic; /**< namespace multi-path I/O and namespace sharing capabilities */
	uint8_t rescap; /**< reservation capabilities */
	uint8_t fpi; /**< format progress indicator */
	uint8_t dlfeat; /**< deallocate logical block features: what a deallocated block reads back as */
	uint16_t nawun; /**< namespace atomic write unit normal, blocks, 0-based */
	uint16_t nawupf; /**< namespace atomic write unit power fail, blocks, 0-based */
	uint16_t nacwu; /**< namespace atomic compare and write unit, blocks, 0-based */
	uint16_t nabsn; /**< namespace atomic boundary size normal, blocks, 0-based */
	uint16_t nabo; /**< namespace atomic boundary offset, blocks */
	uint16_t nabspf; /**< namespace atomic boundary size power fail, blocks, 0-based */
	uint16_t noiob; /**< optimal I/O boundary, in blocks */
	uint8_t nvmcap[16]; /**< NVM capacity, bytes (128-bit) */
	uint16_t npwg; /**< preferred write granularity, blocks, 0-based */
	uint16_t npwa; /**< preferred write alignment, blocks, 0-based */
	uint16_t npdg; /**< preferred deallocate granularity, blocks, 0-based */
	uint16_t npda; /**< preferred deallocate alignment, blocks, 0-based */
	uint16_t nows; /**< optimal write size, blocks, 0-based */
	uint16_t mssrl; /**< maximum single source range length of Copy, blocks */
	uint32_t mcl; /**< maximum copy length, blocks */
	uint8_t msrc; /**< maximum source range count of Copy, 0-based */
	uint8_t rsvd81[11]; /**< reserved */
	uint32_t anagrpid; /**< ANA group identifier */
	uint8_t rsvd96[3]; /**< reserved */
	uint8_t nsattr; /**< namespace attributes: bit 0 write protected */
	uint16_t nvmsetid; /**< NVM set identifier */
	uint16_t endgid; /**< endurance group identifier */
	uint8_t nguid[16]; /**< namespace globally unique identifier */
	uint8_t eui64[8]; /**< IEEE extended unique identifier */
	struct pnvme_lbaf lbaf[64]; /**< LBA format descriptors: nlbaf + 1 of them valid */
	uint8_t vs[3712]; /**< vendor specific */
};
_Static_assert(sizeof(struct pnvme_ns_data) == 4096, "Identify Namespace size");
_Static_assert(offsetof(struct pnvme_ns_data, noiob) == 46, "noiob offset");
_Static_assert(offsetof(struct pnvme_ns_data, anagrpid) == 92, "anagrpid offset");
_Static_assert(offsetof(struct pnvme_ns_data, nguid) == 104, "nguid offset");
_Static_assert(offsetof(struct pnvme_ns_data, lbaf) == 128, "lbaf offset");

/* NSFEAT bits. */
#define PNVME_NSFEAT_THIN_PROVISIONING (1u << 0) /**< NSFEAT: thin provisioning supported */
#define PNVME_NSFEAT_OPTPERF (1u << 4) /**< NSFEAT: NPWG, NPWA, NPDG, NPDA and NOWS are valid */

/** FLBAS: index of the format in use (bits 3:0 low, 6:5 high). */
static inline uint8_t
pnvme_ns_data_flbas_index(const struct pnvme_ns_data *nsdata)
{
	return (uint8_t)((nsdata->flbas & 0x0f) | ((nsdata->flbas & 0x60) >> 1));
}

/** FLBAS bit 4: metadata transferred at the end of each LBA. */
#define PNVME_FLBAS_EXTENDED_METADATA (1u << 4)

/** Namespace Identification Descriptor types (CNS 03h). */
enum pnvme_nidt {
	PNVME_NIDT_EUI64 = 0x1,
	PNVME_NIDT_NGUID = 0x2,
	PNVME_NIDT_UUID = 0x3,
	PNVME_NIDT_CSI = 0x4,
};

/** Namespace Identification Descriptor header. */
struct pnvme_ns_id_desc {
	uint8_t nidt; /**< identifier type (enum pnvme_nidt) */
	uint8_t nidl; /**< identifier length, bytes */
	uint8_t rsvd[2]; /**< reserved */
	uint8_t nid[]; /**< the identifier, nidl bytes */
};
_Static_assert(sizeof(struct pnvme_ns_id_desc) == 4, "NID header size");

/** Command set identifiers. */
enum pnvme_csi {
	PNVME_CSI_NVM = 0x0,
	PNVME_CSI_KV = 0x1,
	PNVME_CSI_ZNS = 0x2,
};

/** Dataset Management range. */
struct pnvme_dsm_range {
	uint32_t attributes; /**< context attributes (access hints) */
	uint32_t length; /**< blocks (not 0-based) */
	uint64_t starting_lba; /**< first logical block */
};
_Static_assert(sizeof(struct pnvme_dsm_range) == 16, "DSM range size");

/** Copy source range, format 0. */
struct pnvme_copy_range {
	uint64_t rsvd0; /**< reserved */
	uint64_t slba; /**< first source logical block */
	uint16_t nlb; /**< blocks, 0-based */
	uint16_t rsvd18; /**< reserved */
	uint32_t rsvd20; /**< reserved */
	uint32_t eilbrt; /**< expected initial logical block reference tag */
	uint16_t elbat; /**< expected logical block application tag */
	uint16_t elbatm; /**< expected logical block application tag mask */
};
_Static_assert(sizeof(struct pnvme_copy_range) == 32, "copy range size");

/* ------------------------------------------------------------------ */
/* NVMe over Fabrics                                                   */
/* ------------------------------------------------------------------ */

/** Fabrics command types (byte 4 of a command with opcode PNVME_OPC_FABRIC). */
enum pnvme_fabric_cmd_type {
	PNVME_FCTYPE_PROPERTY_SET = 0x00,
	PNVME_FCTYPE_CONNECT = 0x01,
	PNVME_FCTYPE_PROPERTY_GET = 0x04,
};

/** Status codes of the command-specific type (SCT 1) for fabrics commands. */
enum pnvme_fabric_status {
	PNVME_SC_CONNECT_INCOMPATIBLE_FORMAT = 0x80,
	PNVME_SC_CONNECT_CONTROLLER_BUSY = 0x81,
	PNVME_SC_CONNECT_INVALID_PARAMETERS = 0x82,
	PNVME_SC_CONNECT_RESTART_DISCOVERY = 0x83,
	PNVME_SC_CONNECT_INVALID_HOST = 0x84,
};

/** Connect CATTR bit: the controller may stop reporting SQ head (no SQ flow control). */
#define PNVME_CONNECT_ATTR_DISABLE_SQ_FLOW (1u << 2)

/** Data of the Connect command. */
struct pnvme_fabric_connect_data {
	uint8_t hostid[16]; /**< host identifier, 128-bit */
	uint16_t cntlid; /**< 0xffff: any (admin queue) */
	uint8_t rsvd18[238]; /**< reserved */
	char subnqn[256]; /**< NQN of the subsystem, null terminated */
	char hostnqn[256]; /**< NQN of the host, null terminated */
	uint8_t rsvd768[256]; /**< reserved */
};
_Static_assert(sizeof(struct pnvme_fabric_connect_data) == 1024, "connect data size");
_Static_assert(offsetof(struct pnvme_fabric_connect_data, subnqn) == 256, "connect subnqn");
_Static_assert(offsetof(struct pnvme_fabric_connect_data, hostnqn) == 512, "connect hostnqn");

/** The well-known NQN of a discovery service. */
#define PNVME_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"
/** Log page identifier of the Discovery Log Page. */
#define PNVME_LOG_DISCOVERY 0x70

/** Discovery log entry subtypes. */
enum pnvme_discovery_subtype {
	PNVME_DISC_SUBTYPE_REFERRAL = 1,  /**< another discovery service */
	PNVME_DISC_SUBTYPE_NVM = 2,       /**< an NVM subsystem */
	PNVME_DISC_SUBTYPE_CURRENT = 3,   /**< this discovery service itself */
};

/** Transport types as the discovery log page encodes them. */
enum pnvme_discovery_trtype {
	PNVME_DISC_TRTYPE_RDMA = 1,
	PNVME_DISC_TRTYPE_FC = 2,
	PNVME_DISC_TRTYPE_TCP = 3,
	PNVME_DISC_TRTYPE_LOOP = 254,
};

/** One Discovery Log Page entry. Strings are padded, not always terminated. */
struct pnvme_discovery_log_entry {
	uint8_t trtype; /**< transport type (enum pnvme_discovery_trtype) */
	uint8_t adrfam; /**< address family: 1 IPv4, 2 IPv6, 3 InfiniBand, 4 Fibre Channel */
	uint8_t subtype; /**< subsystem type (enum pnvme_discovery_subtype) */
	uint8_t treq; /**< transport requirements: bits 1:0 secure channel, bit 2 SQ flow control may be disabled */
	uint16_t portid; /**< port identifier */
	uint16_t cntlid; /**< controller ID: FFFFh dynamic controller model, FFFEh any static controller */
	uint16_t asqsz; /**< admin max SQ size: the largest admin submission queue, entries (at least 32) */
	uint16_t eflags; /**< entry flags: duplicate returned information, explicit persistent connection support */
	uint8_t rsvd12[20]; /**< reserved */
	char trsvcid[32]; /**< transport service identifier (the port for TCP and RDMA), space padded */
	uint8_t rsvd64[192]; /**< reserved */
	char subnqn[256]; /**< NQN of the subsystem */
	char traddr[256]; /**< transport address, space padded */
	uint8_t tsas[256]; /**< transport specific address subtype (RDMA: QP service type, provider, connection management) */
};
_Static_assert(sizeof(struct pnvme_discovery_log_entry) == 1024, "discovery entry size");
_Static_assert(offsetof(struct pnvme_discovery_log_entry, subnqn) == 256, "entry subnqn");
_Static_assert(offsetof(struct pnvme_discovery_log_entry, traddr) == 512, "entry traddr");

/** Discovery Log Page header; entries follow at byte 1024. */
struct pnvme_discovery_log_header {
	uint64_t genctr; /**< generation counter: changes whenever the log changes */
	uint64_t numrec; /**< number of records */
	uint16_t recfmt; /**< record format (0) */
	uint8_t rsvd18[1006]; /**< reserved */
};
_Static_assert(sizeof(struct pnvme_discovery_log_header) == 1024, "discovery header size");

/** Size of every Identify data structure. */
#define PNVME_IDENTIFY_DATA_SIZE 4096u

#ifdef __cplusplus
}
#endif

#endif /* PNVME_NVME_SPEC_H */
