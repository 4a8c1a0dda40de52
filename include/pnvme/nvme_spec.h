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
	uint64_t raw;
	struct {
		uint64_t mqes : 16;   /**< max queue entries, 0-based */
		uint64_t cqr : 1;     /**< contiguous queues required */
		uint64_t ams : 2;     /**< arbitration mechanisms */
		uint64_t rsvd1 : 5;
		uint64_t to : 8;      /**< ready timeout, 500 ms units */
		uint64_t dstrd : 4;   /**< doorbell stride: 4 << dstrd bytes */
		uint64_t nssrs : 1;   /**< NVM subsystem reset supported */
		uint64_t css : 8;     /**< command sets supported */
		uint64_t bps : 1;     /**< boot partition support */
		uint64_t cps : 2;     /**< controller power scope */
		uint64_t mpsmin : 4;  /**< min page size: 2^(12+mpsmin) */
		uint64_t mpsmax : 4;  /**< max page size: 2^(12+mpsmax) */
		uint64_t pmrs : 1;
		uint64_t cmbs : 1;
		uint64_t nsss : 1;
		uint64_t crms : 2;
		uint64_t rsvd2 : 3;
	} bits;
};
_Static_assert(sizeof(union pnvme_cap_register) == 8, "CAP size");

/** CAP.CSS bits. */
#define PNVME_CAP_CSS_NVM (1u << 0)
#define PNVME_CAP_CSS_IOCS (1u << 6)
#define PNVME_CAP_CSS_NOIO (1u << 7)

/** VS: Version. */
union pnvme_vs_register {
	uint32_t raw;
	struct {
		uint32_t ter : 8; /**< tertiary */
		uint32_t mnr : 8; /**< minor */
		uint32_t mjr : 16; /**< major */
	} bits;
};
_Static_assert(sizeof(union pnvme_vs_register) == 4, "VS size");

/** Build a VS value for comparisons. */
#define PNVME_VERSION(mjr, mnr, ter) \
	(((uint32_t)(mjr) << 16) | ((uint32_t)(mnr) << 8) | (uint32_t)(ter))

/** CC: Controller Configuration. */
union pnvme_cc_register {
	uint32_t raw;
	struct {
		uint32_t en : 1;
		uint32_t rsvd1 : 3;
		uint32_t css : 3;   /**< I/O command set selected */
		uint32_t mps : 4;   /**< memory page size: 2^(12+mps) */
		uint32_t ams : 3;
		uint32_t shn : 2;   /**< shutdown notification */
		uint32_t iosqes : 4; /**< I/O SQ entry size: 2^n */
		uint32_t iocqes : 4; /**< I/O CQ entry size: 2^n */
		uint32_t crime : 1;
		uint32_t rsvd2 : 7;
	} bits;
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
	uint32_t raw;
	struct {
		uint32_t rdy : 1;
		uint32_t cfs : 1;   /**< controller fatal status */
		uint32_t shst : 2;  /**< shutdown status */
		uint32_t nssro : 1;
		uint32_t pp : 1;
		uint32_t st : 1;
		uint32_t rsvd : 25;
	} bits;
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
	uint32_t raw;
	struct {
		uint32_t asqs : 12; /**< admin SQ size, 0-based */
		uint32_t rsvd1 : 4;
		uint32_t acqs : 12; /**< admin CQ size, 0-based */
		uint32_t rsvd2 : 4;
	} bits;
};
_Static_assert(sizeof(union pnvme_aqa_register) == 4, "AQA size");

/* ------------------------------------------------------------------ */
/* Queue entries                                                       */
/* ------------------------------------------------------------------ */

/** Scatter Gather List descriptor. */
struct pnvme_sgl_descriptor {
	uint64_t address;
	uint32_t length;
	uint8_t reserved[3];
	uint8_t subtype : 4;
	uint8_t type : 4;
};
_Static_assert(sizeof(struct pnvme_sgl_descriptor) == 16, "SGL size");

/**
 * Keyed SGL Data Block descriptor (NVMe over RDMA): memory of the host that
 * the controller reads or writes by remote key. Length is 24 bits and the
 * key sits unaligned, hence bytes.
 */
struct pnvme_sgl_keyed_descriptor {
	uint64_t address;
	uint8_t length[3]; /**< little-endian, below 2^24 */
	uint8_t key[4];    /**< little-endian remote key */
	uint8_t subtype : 4;
	uint8_t type : 4;
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
	uint16_t rsvd1 : 4;
	uint16_t psdt : 2; /**< PRP or SGL */
	uint16_t cid;      /**< command identifier */
	/* dword 1 */
	uint32_t nsid;
	/* dwords 2-3 */
	uint32_t cdw2;
	uint32_t cdw3;
	/* dwords 4-5 */
	uint64_t mptr;
	/* dwords 6-9 */
	union {
		struct {
			uint64_t prp1;
			uint64_t prp2;
		} prp;
		struct pnvme_sgl_descriptor sgl1;
	} dptr;
	/* dwords 10-15 */
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};
_Static_assert(sizeof(struct pnvme_cmd) == 64, "SQE size");

/** Completion status field (without the phase tag). */
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
	uint32_t cdw1;
	uint16_t sqhd; /**< SQ head pointer */
	uint16_t sqid; /**< SQ identifier */
	uint16_t cid;  /**< command identifier */
	union {
		uint16_t status_raw;
		struct pnvme_status status;
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

/** Asynchronous Event Information of notices (event type 2). */
#define PNVME_AER_NOTICE_NS_ATTRIBUTE_CHANGED 0x00u
#define PNVME_AER_NOTICE_FIRMWARE_ACTIVATION 0x01u
#define PNVME_AER_NOTICE_TELEMETRY_LOG 0x02u
#define PNVME_AER_NOTICE_DISCOVERY_LOG_CHANGE 0xf0u

/** SMART / Health Information log page (02h), 512 bytes. */
struct pnvme_health_log {
	uint8_t critical_warning; /**< bit 0 spare, 1 temperature, 2 reliability, 3 read-only, 4 volatile backup */
	uint16_t temperature;     /**< composite temperature, kelvin */
	uint8_t available_spare;  /**< percent */
	uint8_t available_spare_threshold;
	uint8_t percentage_used;
	uint8_t endurance_group_critical_warning;
	uint8_t reserved7[25];
	uint64_t data_units_read[2]; /**< 128-bit counters, low half first */
	uint64_t data_units_written[2];
	uint64_t host_read_commands[2];
	uint64_t host_write_commands[2];
	uint64_t controller_busy_time[2];
	uint64_t power_cycles[2];
	uint64_t power_on_hours[2];
	uint64_t unsafe_shutdowns[2];
	uint64_t media_errors[2];
	uint64_t num_error_info_log_entries[2];
	uint32_t warning_temp_time;
	uint32_t critical_temp_time;
	uint16_t temp_sensor[8];
	uint8_t reserved216[296];
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_health_log) == 512, "SMART / health log size");
_Static_assert(offsetof(struct pnvme_health_log, data_units_read) == 32, "health log offset");
_Static_assert(offsetof(struct pnvme_health_log, warning_temp_time) == 192, "health log offset");

/** Error Information log entry (log page 01h): 64 bytes each. */
struct pnvme_error_log_entry {
	uint64_t error_count; /**< unique, increasing; 0: an empty entry */
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;         /**< bit 0 phase tag, bits 15:1 the status field */
	uint16_t error_location; /**< byte (7:0) and bit (10:8) of the command */
	uint64_t lba;
	uint32_t nsid;
	uint8_t vendor_specific;
	uint8_t trtype; /**< transport type of the transport-specific information */
	uint8_t reserved30[2];
	uint64_t command_specific;
	uint16_t trtype_specific;
	uint8_t reserved42[22];
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_error_log_entry) == 64, "error log entry size");

/** Firmware Slot Information log page (03h), 512 bytes. */
struct pnvme_firmware_slot_log {
	uint8_t afi; /**< bits 2:0 active slot, 6:4 slot activated at the next reset */
	uint8_t reserved1[7];
	char frs[7][8]; /**< revision in slot 1-7, ASCII, space padded; zero when empty */
	uint8_t reserved64[448];
};
_Static_assert(sizeof(struct pnvme_firmware_slot_log) == 512, "firmware slot log size");

/** Changed Namespace List log page (04h): up to 1024 IDs, zero-terminated;
 * a first entry of FFFFFFFFh means more than 1024 changed. */
struct pnvme_changed_ns_list {
	uint32_t nsid[1024];
};
_Static_assert(sizeof(struct pnvme_changed_ns_list) == 4096, "changed namespace list size");

/** Commands Supported and Effects log page (05h), 4096 bytes: one dword
 * per admin and per I/O opcode. */
struct pnvme_cmd_effects_log {
	uint32_t admin[256];
	uint32_t io[256];
	uint8_t reserved2048[2048];
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
	uint8_t reserved3;
	uint64_t power_on_hours;
	uint32_t nsid;
	uint64_t failing_lba;
	uint8_t sct;
	uint8_t sc;
	uint8_t vendor_specific[2];
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_self_test_result) == 28, "self-test result size");

/** Device Self-test log page (06h), 564 bytes. */
struct pnvme_self_test_log {
	uint8_t current_operation;  /**< bits 3:0: 0 none, 1 short, 2 extended running */
	uint8_t current_completion; /**< bits 6:0: percent done */
	uint8_t reserved2[2];
	struct pnvme_self_test_result result[20]; /**< newest first */
} __attribute__((packed));
_Static_assert(sizeof(struct pnvme_self_test_log) == 564, "self-test log size");

/** Controller list (Namespace Attachment data): 4096 bytes. */
struct pnvme_ctrlr_list {
	uint16_t num; /**< identifiers that follow */
	uint16_t ids[2047];
};
_Static_assert(sizeof(struct pnvme_ctrlr_list) == 4096, "controller list size");

/* ------------------------------------------------------------------ */
/* Identify data                                                       */
/* ------------------------------------------------------------------ */

/** Power state descriptor (32 bytes). */
struct pnvme_power_state {
	uint16_t mp; /**< max power, centiwatts */
	uint8_t rsvd1;
	uint8_t mps : 1;
	uint8_t nops : 1;
	uint8_t rsvd2 : 6;
	uint32_t enlat;
	uint32_t exlat;
	uint8_t rrt;
	uint8_t rrl;
	uint8_t rwt;
	uint8_t rwl;
	uint8_t reserved[16];
};
_Static_assert(sizeof(struct pnvme_power_state) == 32, "PSD size");

/** OACS bits. */
#define PNVME_OACS_SECURITY (1u << 0)
#define PNVME_OACS_FORMAT (1u << 1)
#define PNVME_OACS_FIRMWARE (1u << 2)
#define PNVME_OACS_NS_MANAGE (1u << 3)
#define PNVME_OACS_SELF_TEST (1u << 4)
#define PNVME_OACS_DIRECTIVES (1u << 5)
#define PNVME_OACS_NVME_MI (1u << 6)
#define PNVME_OACS_VIRT_MGMT (1u << 7)
#define PNVME_OACS_DOORBELL_BUFFER_CONFIG (1u << 8)
#define PNVME_OACS_GET_LBA_STATUS (1u << 9)

/** ONCS bits. */
#define PNVME_ONCS_COMPARE (1u << 0)
#define PNVME_ONCS_WRITE_UNCORRECTABLE (1u << 1)
#define PNVME_ONCS_DSM (1u << 2)
#define PNVME_ONCS_WRITE_ZEROES (1u << 3)
#define PNVME_ONCS_SAVE_SELECT_FEATURES (1u << 4)
#define PNVME_ONCS_RESERVATIONS (1u << 5)
#define PNVME_ONCS_TIMESTAMP (1u << 6)
#define PNVME_ONCS_VERIFY (1u << 7)
#define PNVME_ONCS_COPY (1u << 8)

/** FUSES bit: compare-and-write fused operation supported. */
#define PNVME_FUSES_COMPARE_AND_WRITE (1u << 0)

/** SGLS.SGL support field (bits 1:0). */
#define PNVME_SGLS_SUPPORTED_MASK 0x3u
#define PNVME_SGLS_SUPPORTED 0x1u
#define PNVME_SGLS_SUPPORTED_DWORD_ALIGNED 0x2u

/** Identify Controller data structure (CNS 01h). */
struct pnvme_ctrlr_data {
	/* bytes 0-255: controller capabilities and features */
	uint16_t vid;
	uint16_t ssvid;
	int8_t sn[20];
	int8_t mn[40];
	uint8_t fr[8];
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts;
	uint16_t cntlid;
	uint32_t ver;
	uint32_t rtd3r;
	uint32_t rtd3e;
	uint32_t oaes;
	uint32_t ctratt;
	uint16_t rrls;
	uint8_t rsvd102[9];
	uint8_t cntrltype;
	uint8_t fguid[16];
	uint16_t crdt[3];
	uint8_t rsvd134[106];
	uint8_t nvmmi[16];
	/* bytes 256-511: admin command set attributes */
	uint16_t oacs;
	uint8_t acl;
	uint8_t aerl;
	uint8_t frmw;
	uint8_t lpa;
	uint8_t elpe;
	uint8_t npss;
	uint8_t avscc;
	uint8_t apsta;
	uint16_t wctemp;
	uint16_t cctemp;
	uint16_t mtfa;
	uint32_t hmpre;
	uint32_t hmmin;
	uint8_t tnvmcap[16];
	uint8_t unvmcap[16];
	uint32_t rpmbs;
	uint16_t edstt;
	uint8_t dsto;
	uint8_t fwug;
	uint16_t kas;
	uint16_t hctma;
	uint16_t mntmt;
	uint16_t mxtmt;
	uint32_t sanicap;
	uint32_t hmminds;
	uint16_t hmmaxd;
	uint16_t nsetidmax;
	uint16_t endgidmax;
	uint8_t anatt;
	uint8_t anacap;
	uint32_t anagrpmax;
	uint32_t nanagrpid;
	uint32_t pels;
	uint16_t domainid;
	uint8_t rsvd358[10];
	uint8_t megcap[16];
	uint8_t rsvd384[128];
	/* bytes 512-767: NVM command set attributes */
	uint8_t sqes;
	uint8_t cqes;
	uint16_t maxcmd;
	uint32_t nn;
	uint16_t oncs;
	uint16_t fuses;
	uint8_t fna;
	uint8_t vwc;
	uint16_t awun;
	uint16_t awupf;
	uint8_t icsvscc;
	uint8_t nwpc;
	uint16_t acwu;
	uint16_t ocfs;
	uint32_t sgls;
	uint32_t mnan;
	uint8_t maxdna[16];
	uint32_t maxcna;
	uint8_t rsvd564[204];
	/* bytes 768-1023 */
	char subnqn[256];
	uint8_t rsvd1024[768];
	/* bytes 1792-2047: fabrics */
	uint32_t ioccsz;
	uint32_t iorcsz;
	uint16_t icdoff;
	uint8_t fcatt;
	uint8_t msdbd;
	uint16_t ofcs;
	uint8_t rsvd1806[242];
	/* bytes 2048-3071 */
	struct pnvme_power_state psd[32];
	/* bytes 3072-4095 */
	uint8_t vs[1024];
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
	uint32_t rsvd : 6;
};
_Static_assert(sizeof(struct pnvme_lbaf) == 4, "LBAF size");

/** Identify Namespace data structure (CNS 00h, NVM command set). */
struct pnvme_ns_data {
	uint64_t nsze;
	uint64_t ncap;
	uint64_t nuse;
	uint8_t nsfeat;
	uint8_t nlbaf;  /**< number of LBA formats, 0-based */
	uint8_t flbas;  /**< formatted LBA size */
	uint8_t mc;
	uint8_t dpc;
	uint8_t dps;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint8_t dlfeat;
	uint16_t nawun;
	uint16_t nawupf;
	uint16_t nacwu;
	uint16_t nabsn;
	uint16_t nabo;
	uint16_t nabspf;
	uint16_t noiob; /**< optimal I/O boundary, in blocks */
	uint8_t nvmcap[16];
	uint16_t npwg;
	uint16_t npwa;
	uint16_t npdg;
	uint16_t npda;
	uint16_t nows;
	uint16_t mssrl;
	uint32_t mcl;
	uint8_t msrc;
	uint8_t rsvd81[11];
	uint32_t anagrpid;
	uint8_t rsvd96[3];
	uint8_t nsattr;
	uint16_t nvmsetid;
	uint16_t endgid;
	uint8_t nguid[16];
	uint8_t eui64[8];
	struct pnvme_lbaf lbaf[64];
	uint8_t vs[3712];
};
_Static_assert(sizeof(struct pnvme_ns_data) == 4096, "Identify Namespace size");
_Static_assert(offsetof(struct pnvme_ns_data, noiob) == 46, "noiob offset");
_Static_assert(offsetof(struct pnvme_ns_data, anagrpid) == 92, "anagrpid offset");
_Static_assert(offsetof(struct pnvme_ns_data, nguid) == 104, "nguid offset");
_Static_assert(offsetof(struct pnvme_ns_data, lbaf) == 128, "lbaf offset");

/** NSFEAT bit: NOIOB/NPWG... fields are valid. */
#define PNVME_NSFEAT_THIN_PROVISIONING (1u << 0)
#define PNVME_NSFEAT_OPTPERF (1u << 4)

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
	uint8_t nidt;
	uint8_t nidl;
	uint8_t rsvd[2];
	uint8_t nid[];
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
	uint32_t attributes;
	uint32_t length; /**< blocks (not 0-based) */
	uint64_t starting_lba;
};
_Static_assert(sizeof(struct pnvme_dsm_range) == 16, "DSM range size");

/** Copy source range, format 0. */
struct pnvme_copy_range {
	uint64_t rsvd0;
	uint64_t slba;
	uint16_t nlb; /**< blocks, 0-based */
	uint16_t rsvd18;
	uint32_t rsvd20;
	uint32_t eilbrt;
	uint16_t elbat;
	uint16_t elbatm;
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
	uint8_t hostid[16];
	uint16_t cntlid; /**< 0xffff: any (admin queue) */
	uint8_t rsvd18[238];
	char subnqn[256];
	char hostnqn[256];
	uint8_t rsvd768[256];
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
	uint8_t trtype;
	uint8_t adrfam;
	uint8_t subtype;
	uint8_t treq;
	uint16_t portid;
	uint16_t cntlid;
	uint16_t asqsz;
	uint16_t eflags;
	uint8_t rsvd12[20];
	char trsvcid[32];
	uint8_t rsvd64[192];
	char subnqn[256];
	char traddr[256];
	uint8_t tsas[256];
};
_Static_assert(sizeof(struct pnvme_discovery_log_entry) == 1024, "discovery entry size");
_Static_assert(offsetof(struct pnvme_discovery_log_entry, subnqn) == 256, "entry subnqn");
_Static_assert(offsetof(struct pnvme_discovery_log_entry, traddr) == 512, "entry traddr");

/** Discovery Log Page header; entries follow at byte 1024. */
struct pnvme_discovery_log_header {
	uint64_t genctr;
	uint64_t numrec;
	uint16_t recfmt;
	uint8_t rsvd18[1006];
};
_Static_assert(sizeof(struct pnvme_discovery_log_header) == 1024, "discovery header size");

/** Size of every Identify data structure. */
#define PNVME_IDENTIFY_DATA_SIZE 4096u

#ifdef __cplusplus
}
#endif

#endif /* PNVME_NVME_SPEC_H */
