"""Production registry: SageMaker Model Registry (``sagemaker://MODEL_PACKAGE_GROUP``, boto3).

One model package group per model, one versioned model package per run. The version number is
SageMaker's ``ModelPackageVersion``; the status maps onto ``ModelApprovalStatus`` (production is
Approved, a candidate is PendingManualApproval, rejected / rolled_back / archived are Rejected),
with stainless's finer status kept in the package's metadata (see ``package_metadata``). The
approval status wins when the two disagree, so approving or rejecting a package in the SageMaker
console or CLI is seen by stainless. docs/registry.md explains the mapping and its limits.

URI: ``sagemaker://house-prices[?image=ECR_URI&region=eu-west-1]``; the image defaults to
``STAINLESS_IMAGE_URI``. ``AWS_ENDPOINT_URL`` (honoured by boto3) points it at moto in tests.
"""

from __future__ import annotations

import builtins
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stainless.backends.registry import STATUSES, ModelVersion
from stainless.backends.registry.package_metadata import Record, decode, encode, foreign
from stainless.backends.registry.sagemaker_client import explained, is_missing, sagemaker_client
from stainless.core.errors import BackendError, StainlessError
from stainless.core.uris import Uri

APPROVAL = {
    "candidate": "PendingManualApproval",
    "production": "Approved",
    "rejected": "Rejected",
    "rolled_back": "Rejected",
    "archived": "Rejected",
}
# What an approval set outside stainless means when the recorded status disagrees with it.
_STATUS_OF_APPROVAL = {
    "PendingManualApproval": "candidate",
    "Approved": "production",
    "Rejected": "rejected",
}
_GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_DEPLOYABLE = ("s3://", "https://")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


@dataclass
class _Package:
    arn: str
    version: int
    approval: str
    created: datetime | None
    modified: datetime | None
    properties: dict[str, str]
    record: Record | None  # None: a package someone else put into the group

    @property
    def status(self) -> str:
        assert self.record is not None
        recorded = self.record.status
        if APPROVAL.get(recorded) == self.approval:
            return recorded
        return _STATUS_OF_APPROVAL.get(self.approval, recorded)

    def to_version(self) -> ModelVersion:
        assert self.record is not None
        return ModelVersion(
            version=self.version,
            run_id=self.record.run_id,
            status=self.status,
            created_at=_iso(self.created),
            updated_at=_iso(self.modified or self.created),
            artifact_uri=self.record.artifact_uri,
            lineage=self.record.lineage,
            metrics=self.record.metrics,
            decision=self.record.decision,
        )


class SageMakerRegistry:
    def __init__(
        self,
        group: str,
        *,
        image: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        if not _GROUP_NAME.match(group):
            raise BackendError(
                f"{group!r} is not a valid SageMaker model package group name",
                key="registry",
                expected="sagemaker://NAME with 1-63 letters, digits and single or repeated '-' "
                "(starting and ending alphanumeric)",
                found=f"sagemaker://{group}",
                fix="use the model's name, e.g. STAINLESS_REGISTRY=sagemaker://house-prices",
            )
        self.group = group
        self.image = image
        self.client = client or sagemaker_client(region)
        self._group_ready = False

    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> SageMakerRegistry:
        return cls(
            uri.location.strip("/"),
            image=uri.query.get("image") or os.environ.get("STAINLESS_IMAGE_URI") or None,
            region=uri.query.get("region"),
        )

    # -- reading --------------------------------------------------------------------------

    def _summaries(self, approval: str | None = None) -> list[dict[str, Any]]:
        """Every package of the group, oldest first (one page per 100 packages)."""
        args: dict[str, Any] = {"ModelPackageGroupName": self.group, "SortBy": "CreationTime"}
        if approval:
            args["ModelApprovalStatus"] = approval
        summaries: list[dict[str, Any]] = []
        try:
            for page in self.client.get_paginator("list_model_packages").paginate(**args):
                summaries.extend(page.get("ModelPackageSummaryList", []))
        except self.client.exceptions.ClientError as exc:
            if is_missing(exc):
                return []  # the group is created by the first register
            raise
        return sorted(summaries, key=lambda s: s["ModelPackageVersion"])

    def _describe(self, arn: str) -> _Package:
        found = self.client.describe_model_package(ModelPackageName=arn)
        properties = dict(found.get("CustomerMetadataProperties") or {})
        return _Package(
            arn=found["ModelPackageArn"],
            version=int(found["ModelPackageVersion"]),
            approval=found.get("ModelApprovalStatus", "PendingManualApproval"),
            created=found.get("CreationTime"),
            modified=found.get("LastModifiedTime"),
            properties=properties,
            record=decode(properties),
        )

    def _ours(self, approval: str | None = None) -> list[_Package]:
        packages = (self._describe(s["ModelPackageArn"]) for s in self._summaries(approval))
        return [package for package in packages if package.record is not None]

    def _arn(self, version: int) -> str | None:
        found = (s for s in self._summaries() if s["ModelPackageVersion"] == version)
        return next((s["ModelPackageArn"] for s in found), None)

    def _package(self, version: int) -> _Package:
        arn = self._arn(version)
        if arn is None:
            raise StainlessError(
                f"model version {version} does not exist in SageMaker model package group "
                f"{self.group!r}",
                fix="list versions with `stainless versions`",
            )
        package = self._describe(arn)
        if package.record is None:
            raise StainlessError(
                f"model version {version} of group {self.group!r} was not registered by "
                "stainless (it has no stainless.run_id metadata)",
                fix="pick a version listed by `stainless versions`",
            )
        return package

    @explained
    def get(self, version: int) -> ModelVersion:
        return self._package(version).to_version()

    @explained
    def by_run(self, run_id: str) -> ModelVersion | None:
        # The lowest version wins should two processes ever register one run at once.
        for summary in self._summaries():
            package = self._describe(summary["ModelPackageArn"])
            if package.record is not None and package.record.run_id == run_id:
                return package.to_version()
        return None

    @explained
    def list(self) -> list[ModelVersion]:
        return [package.to_version() for package in self._ours()]

    @explained
    def production(self) -> ModelVersion | None:
        live = [p for p in self._ours("Approved") if p.status == "production"]
        return live[-1].to_version() if live else None

    @explained
    def events(self, version: int | None = None) -> builtins.list[dict[str, Any]]:
        if version is None:
            packages = self._ours()
        else:
            arn = self._arn(version)
            found = [self._describe(arn)] if arn else []
            packages = [package for package in found if package.record is not None]
        events: list[dict[str, Any]] = []
        for package in packages:
            assert package.record is not None
            kept = package.record.events
            if package.record.events_dropped:
                events.append(
                    {
                        "version": package.version,
                        "at": kept[0]["at"] if kept else _iso(package.created),
                        "kind": "events_truncated",
                        "dropped": package.record.events_dropped,
                    }
                )
            events.extend({"version": package.version, **event} for event in kept)
        # Stable: events of one instant keep their per-version order.
        return sorted(events, key=lambda event: event["at"]) if version is None else events

    # -- writing --------------------------------------------------------------------------

    @explained
    def register(self, run_id: str, artifact_uri: str, lineage: dict[str, Any]) -> ModelVersion:
        existing = self.by_run(run_id)
        if existing is not None:
            return existing
        self._ensure_group()
        record = Record(
            run_id=run_id,
            status="candidate",
            artifact_uri=artifact_uri,
            lineage=lineage,
            events=[{"at": _now(), "kind": "registered", "run_id": run_id}],
        )
        args: dict[str, Any] = {
            "ModelPackageGroupName": self.group,
            "ModelPackageDescription": f"stainless run {run_id}",
            "ModelApprovalStatus": APPROVAL["candidate"],
            "CustomerMetadataProperties": encode(record, {}),
        }
        commit = (lineage.get("git") or {}).get("commit")
        args["MetadataProperties"] = {"GeneratedBy": f"stainless run {run_id}"[:1024]}
        if isinstance(commit, str) and commit:
            args["MetadataProperties"]["CommitId"] = commit[:1024]
        if self.image and artifact_uri.startswith(_DEPLOYABLE):
            # Only then can SageMaker deploy the package itself (it refuses file:// data).
            args["InferenceSpecification"] = {
                "Containers": [{"Image": self.image, "ModelDataUrl": artifact_uri}],
                "SupportedContentTypes": ["application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            }
        arn = self.client.create_model_package(**args)["ModelPackageArn"]
        return self._describe(arn).to_version()

    @explained
    def update_metrics(self, version: int, metrics: dict[str, Any]) -> None:
        package = self._package(version)
        assert package.record is not None
        package.record.metrics = {**package.record.metrics, **metrics}
        self._write(package, package.status, None)

    @explained
    def record_decision(self, version: int, decision: dict[str, Any]) -> None:
        package = self._package(version)
        assert package.record is not None
        package.record.decision = decision
        # The full decision is on the version; its event keeps the scalars (room is scarce).
        summary = {k: v for k, v in decision.items() if isinstance(v, str | int | float | bool)}
        package.record.events.append({"at": _now(), "kind": "decision", **summary})
        self._write(package, package.status, None)

    @explained
    def set_status(self, version: int, status: str, reason: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
        self._set(self._package(version), status, reason)

    @explained
    def promote(self, version: int, reason: str) -> ModelVersion | None:
        target = self._package(version)
        previous = [
            p for p in self._ours("Approved") if p.version != version and p.status == "production"
        ]
        replaced = previous[-1].to_version() if previous else None  # as it was, like SQLite
        # The new version first: a crash in between leaves two Approved packages (production()
        # picks the newer, the next promote archives the other), never none.
        self._set(target, "production", reason)
        for package in previous:
            self._set(package, "archived", f"replaced by version {version}")
        return replaced

    def _set(self, package: _Package, status: str, reason: str) -> None:
        assert package.record is not None
        package.record.events.append({"at": _now(), "kind": f"status:{status}", "reason": reason})
        self._write(package, status, reason)

    def _write(self, package: _Package, status: str, reason: str | None) -> None:
        assert package.record is not None
        package.record.status = status
        properties = encode(package.record, foreign(package.properties))
        args: dict[str, Any] = {
            "ModelPackageArn": package.arn,
            "ModelApprovalStatus": APPROVAL[status],
            "CustomerMetadataProperties": properties,
        }
        if reason is not None:
            args["ApprovalDescription"] = reason[:1024]
        stale = sorted(set(package.properties) - set(properties))
        if stale:  # fewer document chunks than before: SageMaker merges, so remove explicitly
            args["CustomerMetadataPropertiesToRemove"] = stale
        self.client.update_model_package(**args)
        package.properties, package.approval = properties, APPROVAL[status]

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.client.describe_model_package_group(ModelPackageGroupName=self.group)
        except self.client.exceptions.ClientError as exc:
            if not is_missing(exc):
                raise
            try:
                self.client.create_model_package_group(
                    ModelPackageGroupName=self.group,
                    ModelPackageGroupDescription=f"stainless model {self.group}",
                )
            except self.client.exceptions.ClientError as again:
                if "already exists" not in str(again):  # another process won the race
                    raise
        self._group_ready = True
